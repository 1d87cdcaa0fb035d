/**
 * Import resolution to project modules and load-time import cycles (strongly connected components
 * of the graph of imports that run while a module is first imported).
 */
import type { ImportFact, ModuleFacts } from "../types.js";

export interface ProjectModule {
  /** Path relative to the analyzed root, POSIX separators. */
  path: string;
  /** Dotted module name (`pkg.sub`; a package's `__init__.py` is `pkg`). */
  module: string;
  /** True for a package's `__init__.py`. */
  isPackage: boolean;
  facts: ModuleFacts;
}

/** The longest prefix of `dotted` (at dot boundaries) that is a known module, or undefined. */
export function longestKnownPrefix(dotted: string, known: Set<string>): string | undefined {
  let candidate = dotted;
  for (;;) {
    if (known.has(candidate)) return candidate;
    const dot = candidate.lastIndexOf(".");
    if (dot === -1) return undefined;
    candidate = candidate.slice(0, dot);
  }
}

/**
 * The absolute module a (possibly relative) `from` base names, or undefined when it climbs above
 * the top-level package. `fromModule` is the importing module; a package's own name is its base.
 */
export function absoluteBase(fromModule: string, isPackage: boolean, fact: ImportFact): string | undefined {
  if (fact.level === 0) return fact.module;
  const parts = fromModule.split(".");
  if (!isPackage) parts.pop();
  for (let climb = 1; climb < fact.level; climb++) {
    if (parts.length === 0) return undefined;
    parts.pop();
  }
  const rest = fact.module.slice(fact.level);
  if (rest) parts.push(rest);
  return parts.length > 0 ? parts.join(".") : undefined;
}

/**
 * Project modules an import refers to. `import a.b.c` gives the deepest known module of `a.b.c`;
 * `from pkg import name` gives `pkg.name` when that is a module (a submodule import), otherwise
 * `pkg` itself; names that are not modules resolve to the module that defines them.
 */
export function resolveImport(fromModule: string, isPackage: boolean, fact: ImportFact, known: Set<string>): string[] {
  const base = absoluteBase(fromModule, isPackage, fact);
  if (base === undefined) return [];
  const targets = new Set<string>();
  if (fact.names.length === 0) {
    const target = longestKnownPrefix(base, known);
    if (target !== undefined) targets.add(target);
    return [...targets];
  }
  for (const name of fact.names) {
    const submodule = name === "*" ? undefined : `${base}.${name}`;
    if (submodule !== undefined && known.has(submodule)) {
      targets.add(submodule);
      continue;
    }
    const target = longestKnownPrefix(base, known);
    if (target !== undefined) targets.add(target);
  }
  return [...targets];
}

/**
 * Groups of modules that import each other while loading (strongly connected components with
 * more than one module, or a module that imports itself). Imports inside functions and under
 * `if TYPE_CHECKING:` run later or never, so they form no edge. Each group sorted, groups sorted.
 */
export function importCycles(modules: ProjectModule[]): string[][] {
  const known = new Set(modules.map((module) => module.module));
  const index = new Map<string, number>();
  modules.forEach((module, position) => {
    if (!index.has(module.module)) index.set(module.module, position);
  });
  const edges: number[][] = modules.map(() => []);
  const selfLoops = new Set<number>();
  modules.forEach((module, from) => {
    const targets = new Set<number>();
    for (const fact of module.facts.imports) {
      if (!(fact.loadTime ?? !fact.conditional)) continue;
      for (const target of resolveImport(module.module, module.isPackage, fact, known)) {
        const to = index.get(target);
        if (to === undefined) continue;
        if (to === from) selfLoops.add(from);
        else targets.add(to);
      }
    }
    edges[from] = [...targets];
  });

  const cycles: string[][] = [];
  for (const component of stronglyConnectedComponents(edges)) {
    if (component.length > 1 || selfLoops.has(component[0] as number)) {
      cycles.push(component.map((position) => (modules[position] as ProjectModule).module).sort());
    }
  }
  return cycles.sort(compareGroups);
}

function compareGroups(a: string[], b: string[]): number {
  for (let position = 0; position < Math.min(a.length, b.length); position++) {
    const left = a[position] as string;
    const right = b[position] as string;
    if (left !== right) return left < right ? -1 : 1;
  }
  return a.length - b.length;
}

/** Tarjan's algorithm, iterative (import graphs of large projects are deeper than the JS stack). */
function stronglyConnectedComponents(edges: number[][]): number[][] {
  const count = edges.length;
  const order = new Int32Array(count).fill(-1);
  const lowLink = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  const work: Array<{ node: number; next: number }> = [];
  for (let start = 0; start < count; start++) {
    if (order[start] !== -1) continue;
    work.push({ node: start, next: 0 });
    order[start] = lowLink[start] = counter++;
    stack.push(start);
    onStack[start] = 1;
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: number; next: number };
      const successors = edges[frame.node] as number[];
      if (frame.next < successors.length) {
        const successor = successors[frame.next++] as number;
        if (order[successor] === -1) {
          order[successor] = lowLink[successor] = counter++;
          stack.push(successor);
          onStack[successor] = 1;
          work.push({ node: successor, next: 0 });
        } else if (onStack[successor]) {
          lowLink[frame.node] = Math.min(lowLink[frame.node] as number, order[successor] as number);
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) lowLink[parent.node] = Math.min(lowLink[parent.node] as number, lowLink[frame.node] as number);
      if (lowLink[frame.node] === order[frame.node]) {
        const component: number[] = [];
        for (;;) {
          const member = stack.pop() as number;
          onStack[member] = 0;
          component.push(member);
          if (member === frame.node) break;
        }
        components.push(component);
      }
    }
  }
  return components;
}
