import { resolveImport } from "../findings/index.js";
import { moduleGraphRows } from "./graph-rows.js";
import type { AnalyzedFile } from "./project.js";

/** The code graph of a project: modules, their definitions, import edges and best-effort calls. */
export interface ProjectGraph {
  modules: Array<{ name: string; path: string; isPackage: boolean }>;
  definitions: Array<{ module: string; name: string; kind: string; line: number; endLine: number }>;
  /** `target` is a project module when `internal`, else the imported module as written (absolute). */
  imports: Array<{ module: string; target: string; line: number; internal: boolean; conditional: boolean }>;
  calls: Array<{ module: string; caller: string; callee: string; line: number }>;
}

export function buildProjectGraph(files: AnalyzedFile[]): ProjectGraph {
  return { ...linkGraphRows(files), ...moduleGraphRows(files) };
}

/** The rows that depend on the whole project: its modules, and import edges (internal ones resolved against the modules). */
export function linkGraphRows(files: AnalyzedFile[]): Pick<ProjectGraph, "modules" | "imports"> {
  const known = new Set(files.map((file) => file.module));
  const modules: ProjectGraph["modules"] = [];
  const imports: ProjectGraph["imports"] = [];
  for (const file of files) {
    modules.push({ name: file.module, path: file.path, isPackage: file.isPackage });
    for (const fact of file.facts.imports) {
      const targets = resolveImport(file.module, file.isPackage, fact, known);
      if (targets.length > 0) {
        for (const target of targets) imports.push({ module: file.module, target, line: fact.line, internal: true, conditional: fact.conditional });
      } else if (fact.level === 0) {
        imports.push({ module: file.module, target: fact.module, line: fact.line, internal: false, conditional: fact.conditional });
      }
    }
  }
  return { modules, imports };
}
