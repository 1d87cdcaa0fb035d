import type { ProjectGraph } from "../../python/index.js";

export interface GraphLayout {
  nodes: Array<{ name: string; x: number; y: number; degree: number }>;
  /** Index pairs into `nodes`. */
  edges: Array<[number, number]>;
}

/**
 * A deterministic force-directed layout (Fruchterman-Reingold, fixed iterations, seeded by the
 * circle order) of the `limit` most connected modules, in a 640x640 box.
 */
export function layoutModuleGraph(graph: ProjectGraph, limit: number): GraphLayout {
  const degree = new Map<string, number>();
  const pairs = new Set<string>();
  for (const edge of graph.imports) {
    if (!edge.internal || edge.module === edge.target) continue;
    pairs.add(`${edge.module}\u0000${edge.target}`);
  }
  for (const pair of pairs) {
    const [from, to] = pair.split("\u0000") as [string, string];
    degree.set(from, (degree.get(from) ?? 0) + 1);
    degree.set(to, (degree.get(to) ?? 0) + 1);
  }
  const names = [...degree.keys()].sort((a, b) => degree.get(b)! - degree.get(a)! || (a < b ? -1 : 1)).slice(0, limit);
  const index = new Map(names.map((name, position) => [name, position]));
  const edges: Array<[number, number]> = [];
  for (const pair of pairs) {
    const [from, to] = pair.split("\u0000") as [string, string];
    const a = index.get(from);
    const b = index.get(to);
    if (a !== undefined && b !== undefined) edges.push([a, b]);
  }
  const count = names.length;
  const size = 640;
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    x[i] = size / 2 + (size / 3) * Math.cos((2 * Math.PI * i) / Math.max(1, count));
    y[i] = size / 2 + (size / 3) * Math.sin((2 * Math.PI * i) / Math.max(1, count));
  }
  const k = Math.sqrt((size * size) / Math.max(1, count)) * 0.6;
  const dx = new Float64Array(count);
  const dy = new Float64Array(count);
  for (let iteration = 0, temperature = size / 8; iteration < 120; iteration++, temperature *= 0.96) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) {
        const ddx = x[i]! - x[j]!;
        const ddy = y[i]! - y[j]!;
        const distance = Math.max(0.01, Math.hypot(ddx, ddy));
        const force = (k * k) / distance;
        dx[i]! += (ddx / distance) * force;
        dy[i]! += (ddy / distance) * force;
        dx[j]! -= (ddx / distance) * force;
        dy[j]! -= (ddy / distance) * force;
      }
    }
    for (const [a, b] of edges) {
      const ddx = x[a]! - x[b]!;
      const ddy = y[a]! - y[b]!;
      const distance = Math.max(0.01, Math.hypot(ddx, ddy));
      const force = (distance * distance) / k;
      dx[a]! -= (ddx / distance) * force;
      dy[a]! -= (ddy / distance) * force;
      dx[b]! += (ddx / distance) * force;
      dy[b]! += (ddy / distance) * force;
    }
    for (let i = 0; i < count; i++) {
      const length = Math.max(0.01, Math.hypot(dx[i]!, dy[i]!));
      x[i] = Math.min(size - 12, Math.max(12, x[i]! + (dx[i]! / length) * Math.min(length, temperature)));
      y[i] = Math.min(size - 12, Math.max(12, y[i]! + (dy[i]! / length) * Math.min(length, temperature)));
    }
  }
  return { nodes: names.map((name, i) => ({ name, x: x[i]!, y: y[i]!, degree: degree.get(name)! })), edges };
}
