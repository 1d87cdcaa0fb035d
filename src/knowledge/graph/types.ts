/**
 * The code graph of a project as the store keeps it: modules, their definitions, imports and calls.
 * `python/` builds a value of this shape (its own `ProjectGraph`); the two must stay identical.
 */
export interface CodeGraph {
  modules: Array<{ name: string; path: string; isPackage: boolean }>;
  definitions: Array<{ module: string; name: string; kind: string; line: number; endLine: number }>;
  imports: Array<{ module: string; target: string; line: number; internal: boolean; conditional: boolean }>;
  calls: Array<{ module: string; caller: string; callee: string; line: number }>;
}
