import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { contentHash } from "../../core/index.js";
import { analyzeInParallel, largestFirstBatches } from "./pool.js";
import type { WorkItem } from "./worker.js";

function item(path: string, source: string): WorkItem {
  const bytes = new TextEncoder().encode(source);
  return { path, bytes, hash: contentHash(bytes) };
}

describe("largestFirstBatches", () => {
  it("hands out every file once, largest first, a large file in a batch of its own", () => {
    const items = [item("small.py", "x = 1\n"), item("large.py", "x = 1\n".repeat(20_000)), item("medium.py", "y = 2\n".repeat(100))];
    const batches = largestFirstBatches(items);
    expect(batches.map((batch) => batch.map((entry) => entry.path))).toEqual([["large.py"], ["medium.py", "small.py"]]);
  });

  it("closes a batch at sixteen files however small they are", () => {
    const items = Array.from({ length: 40 }, (_, index) => item(`m${index}.py`, "pass\n"));
    expect(largestFirstBatches(items).map((batch) => batch.length)).toEqual([16, 16, 8]);
  });
});

// Worker threads load the compiled worker (dist/, built by `npm test`): under vitest a thread
// cannot load the TypeScript source.
const builtPool = new URL("../../../dist/python/analyze/pool.js", import.meta.url);

describe("analyzeInParallel", () => {
  it.skipIf(!existsSync(builtPool))("analyzes on worker threads and returns the results in the order of the files given", async () => {
    const { analyzeInParallel: analyzeOnThreads } = (await import(builtPool.href)) as { analyzeInParallel: typeof analyzeInParallel };
    const items = Array.from({ length: 40 }, (_, index) => item(`m${index}.py`, `def f${index}(a):\n    return a\n`.repeat(index + 1)));
    const results = await analyzeOnThreads(items, 2);
    expect(results.map((result) => result.path)).toEqual(items.map((entry) => entry.path));
    const last = results[39];
    expect(last.state === "ok" && last.metrics.blocks.length).toBe(40);
  }, 20_000);
});
