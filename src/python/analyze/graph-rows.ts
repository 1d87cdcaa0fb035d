import type { ModuleFacts } from "../types.js";
import type { ProjectGraph } from "./graph.js";

/**
 * The graph rows modules contribute on their own, whatever else the project holds: their
 * definitions and calls, in the order given (a module of its own so that writing them as files
 * arrive does not load the import resolver).
 */
export function moduleGraphRows(modules: Iterable<{ module: string; facts: ModuleFacts }>): Pick<ProjectGraph, "definitions" | "calls"> {
  const definitions: ProjectGraph["definitions"] = [];
  const calls: ProjectGraph["calls"] = [];
  for (const { module, facts } of modules) {
    for (const definition of facts.definitions) definitions.push({ module, name: definition.name, kind: definition.kind, line: definition.line, endLine: definition.endLine });
    for (const call of facts.calls) calls.push({ module, ...call });
  }
  return { definitions, calls };
}
