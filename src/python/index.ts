export type * from "./types.js";
export { analyzeProject, OVER_MAX_FILE_BYTES, type AnalyzeOptions, type AnalyzeProgress, type AnalyzedFile, type CachedFile, type FileCache, type ProjectAnalysis, type ProjectResults } from "./analyze/project.js";
export { buildProjectGraph, type ProjectGraph } from "./analyze/graph.js";
export { decodeFacts, encodeFacts } from "./analyze/facts-codec.js";
export { createPythonParser, parsePython, type SyntaxNode, type Tree } from "./parse/parser.js";
export { decodePythonSource, lineEndingsOf, normalizeNewlines } from "./analyze/source.js";
