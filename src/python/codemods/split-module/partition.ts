import type { Unit } from "./units.js";

/**
 * Groups the definition units into parts. Units that reference each other in a cycle, units that
 * bind the same name and units that touch a pinned name form one strongly connected component and
 * never split. Components are
 * laid out in a dependency-first order that keeps each weakly connected cluster contiguous and
 * otherwise follows the source; the parts are intervals of that order, so every part imports only
 * from parts before it (no import cycles). Cuts fall where the fewest references cross, within a
 * budget of lines per part.
 */
export function partitionUnits(units: readonly Unit[], budget: number, pinned: ReadonlySet<string> = new Set()): Unit[][] {
  const definitions = units.filter((unit) => unit.kind === "definition");
  const definers = new Map<string, number[]>();
  definitions.forEach((unit, index) => {
    for (const name of unit.defines) definers.set(name, [...(definers.get(name) ?? []), index]);
  });
  // dependencies[u] = units u reads names from (u must come after them).
  const dependencies: Set<number>[] = definitions.map(() => new Set());
  definitions.forEach((unit, index) => {
    for (const name of unit.references) {
      if (unit.defines.has(name)) continue;
      for (const definer of definers.get(name) ?? []) if (definer !== index) dependencies[index]!.add(definer);
    }
  });
  // A pinned name (rebound at run time, bound only on some paths, or deleted) cannot be imported
  // across parts without going stale or failing: every unit that touches it stays in one part.
  const touching = new Map<string, number[]>();
  definitions.forEach((unit, index) => {
    for (const name of pinned) if (unit.defines.has(name) || unit.references.has(name)) touching.set(name, [...(touching.get(name) ?? []), index]);
  });
  for (const indices of [...definers.values(), ...touching.values()]) {
    for (let index = 1; index < indices.length; index++) {
      dependencies[indices[index]!]!.add(indices[index - 1]!);
      dependencies[indices[index - 1]!]!.add(indices[index]!);
    }
  }

  const components = stronglyConnected(dependencies);
  const componentOf = new Int32Array(definitions.length);
  components.forEach((members, component) => members.forEach((member) => (componentOf[member] = component)));
  const order = clusteredTopologicalOrder(components, dependencies, componentOf);
  const sizes = order.map((component) => components[component]!.reduce((total, member) => total + definitions[member]!.lines, 0));
  const orderIndex = new Int32Array(components.length);
  order.forEach((component, index) => (orderIndex[component] = index));
  // crossings[e] = references crossing a cut before order position e.
  const crossings = new Float64Array(order.length + 1);
  dependencies.forEach((targets, source) => {
    for (const target of targets) {
      const a = orderIndex[componentOf[source]!]!;
      const b = orderIndex[componentOf[target]!]!;
      if (a === b) continue;
      crossings[Math.min(a, b) + 1]! += 1;
      crossings[Math.max(a, b) + 1]! -= 1;
    }
  });
  for (let index = 1; index <= order.length; index++) crossings[index]! += crossings[index - 1]!;

  const parts: Unit[][] = [];
  let start = 0;
  while (start < order.length) {
    const end = chooseCut(sizes, crossings, start, budget);
    const members = order.slice(start, end).flatMap((component) => components[component]!);
    parts.push(members.sort((a, b) => a - b).map((member) => definitions[member]!));
    start = end;
  }
  return parts;
}

/**
 * The end (exclusive) of the part starting at `start`: within the budget and at least half full,
 * where the fewest references cross. When the next component alone overflows the budget before
 * the part is half full, the small ones before it join it rather than making a sliver of a part.
 */
function chooseCut(sizes: readonly number[], crossings: Float64Array, start: number, budget: number): number {
  let total = 0;
  for (let index = start; index < sizes.length; index++) total += sizes[index]!;
  if (total <= budget * 1.25) return sizes.length;
  let best = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  let size = 0;
  for (let end = start + 1; end <= sizes.length; end++) {
    size += sizes[end - 1]!;
    if (size > budget) return best === -1 ? end : best;
    if (size < budget * 0.5) continue;
    const score = crossings[end]!;
    if (score <= bestScore) {
      bestScore = score;
      best = end;
    }
  }
  return best === -1 ? sizes.length : best;
}

/** Tarjan's algorithm, iterative; components come out in reverse topological order of `edges`. */
function stronglyConnected(edges: readonly Set<number>[]): number[][] {
  const count = edges.length;
  const index = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const stack: number[] = [];
  const components: number[][] = [];
  const adjacency = edges.map((targets) => [...targets]);
  let next = 0;
  for (let root = 0; root < count; root++) {
    if (index[root] !== -1) continue;
    const work: Array<{ node: number; edge: number }> = [{ node: root, edge: 0 }];
    index[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = adjacency[frame.node]!;
      if (frame.edge < targets.length) {
        const target = targets[frame.edge++]!;
        if (index[target] === -1) {
          index[target] = low[target] = next++;
          stack.push(target);
          onStack[target] = 1;
          work.push({ node: target, edge: 0 });
        } else if (onStack[target]) low[frame.node] = Math.min(low[frame.node]!, index[target]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent.node] = Math.min(low[parent.node]!, low[frame.node]!);
      if (low[frame.node] === index[frame.node]) {
        const component: number[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack[member] = 0;
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}

/**
 * Components in an order where every component follows those it depends on, each weakly connected
 * cluster is contiguous, and ties go to the component that appears first in the source.
 */
function clusteredTopologicalOrder(components: readonly number[][], dependencies: readonly Set<number>[], componentOf: Int32Array): number[] {
  const count = components.length;
  const dependsOn: Set<number>[] = components.map(() => new Set());
  const neighbours: Set<number>[] = components.map(() => new Set());
  dependencies.forEach((targets, source) => {
    for (const target of targets) {
      const from = componentOf[source]!;
      const to = componentOf[target]!;
      if (from === to) continue;
      dependsOn[from]!.add(to);
      neighbours[from]!.add(to);
      neighbours[to]!.add(from);
    }
  });
  const firstUnit = components.map((members) => Math.min(...members));
  // Weakly connected clusters, ordered by their first unit in the source.
  const cluster = new Int32Array(count).fill(-1);
  const clusters: number[][] = [];
  for (const seed of [...Array(count).keys()].sort((a, b) => firstUnit[a]! - firstUnit[b]!)) {
    if (cluster[seed] !== -1) continue;
    const members: number[] = [];
    const queue = [seed];
    cluster[seed] = clusters.length;
    while (queue.length > 0) {
      const component = queue.pop()!;
      members.push(component);
      for (const neighbour of neighbours[component]!) {
        if (cluster[neighbour] === -1) {
          cluster[neighbour] = clusters.length;
          queue.push(neighbour);
        }
      }
    }
    clusters.push(members);
  }
  const order: number[] = [];
  const placed = new Uint8Array(count);
  for (const members of clusters) {
    const remaining = new Set(members);
    while (remaining.size > 0) {
      let chosen = -1;
      for (const component of remaining) {
        if ([...dependsOn[component]!].some((dependency) => !placed[dependency])) continue;
        if (chosen === -1 || firstUnit[component]! < firstUnit[chosen]!) chosen = component;
      }
      // The condensation is acyclic, so some component is always ready.
      remaining.delete(chosen);
      placed[chosen] = 1;
      order.push(chosen);
    }
  }
  return order;
}
