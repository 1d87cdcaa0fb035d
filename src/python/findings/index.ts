export { extractFacts } from "./facts.js";
export { GENERATOR_KEEPER_CONFIDENCE, KEEP_ALIVE_CONFIDENCE, localFindings, REEXPORT_LIKE_CONFIDENCE, UNREACHABLE_CONFIDENCE, UNUSED_IMPORT_CONFIDENCE, UNUSED_VARIABLE_CONFIDENCE } from "./local.js";
export { importCycles, resolveImport, type ProjectModule } from "./imports.js";
export {
  attributeReexportedImports,
  DEFAULT_CONFIDENCE,
  dropReexportedImports,
  EXTERNAL_BASE_CONFIDENCE,
  FRAME_READ_CONFIDENCE,
  frameReadPaths,
  lowerFrameReadLocals,
  isTestFile,
  PROTOCOL_METHOD_CONFIDENCE,
  projectFindings,
  STRING_REFERENCE_CONFIDENCE,
} from "./project.js";
