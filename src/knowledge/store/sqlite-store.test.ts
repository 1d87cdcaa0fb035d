import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CodeGraph } from "../graph/types.js";
import { SqliteStore } from "./sqlite-store.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function openStore(): SqliteStore {
  const folder = mkdtempSync(join(tmpdir(), "pyagent-store-test-"));
  folders.push(folder);
  return SqliteStore.open(folder);
}

/** A graph with more rows than one multi-row INSERT takes, and a remainder. */
function graphOf(modules: number): CodeGraph {
  const graph: CodeGraph = { modules: [], definitions: [], imports: [], calls: [] };
  for (let index = 0; index < modules; index++) {
    const name = `pkg.m${String(index).padStart(3, "0")}`;
    graph.modules.push({ name, path: `pkg/m${index}.py`, isPackage: index % 7 === 0 });
    graph.definitions.push({ module: name, name: `f${index}`, kind: "function", line: index + 1, endLine: index + 3 });
    graph.imports.push({ module: name, target: "os", line: 1, internal: index % 2 === 0, conditional: index % 3 === 0 });
    for (let call = 0; call < 3; call++) graph.calls.push({ module: name, caller: `f${index}`, callee: `g${call}`, line: index + call + 2 });
  }
  return graph;
}

describe("SqliteStore graph", () => {
  it("reads back exactly the graph it stored, replacing the previous one", () => {
    const store = openStore();
    store.replaceGraph(graphOf(300));
    const graph = graphOf(150);
    store.replaceGraph(graph);
    expect(store.readGraph()).toEqual(graph);
    store.close();
  });

  it("stores an empty graph", () => {
    const store = openStore();
    store.replaceGraph(graphOf(5));
    store.replaceGraph(graphOf(0));
    expect(store.readGraph()).toEqual(graphOf(0));
    store.close();
  });
});
