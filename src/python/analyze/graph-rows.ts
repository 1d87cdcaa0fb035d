import type { ModuleFacts } from "../types.js";
import type { ProjectGraph } from "./graph.js";

/**
 * The graph rows one module contributes on its own, whatever else the project holds: its
 * definitions and calls (a module of its own so that writing them as files arrive does not load the
 * import resolver).
 */
export function moduleGraphRows(module: string, facts: ModuleFacts): Pick<ProjectGraph, "definitions" | "calls"> {
  return {
    definitions: facts.definitions.map((definition) => ({ module, name: definition.name, kind: definition.kind, line: definition.line, endLine: definition.endLine })),
    calls: facts.calls.map((call) => ({ module, ...call })),
  };
}
