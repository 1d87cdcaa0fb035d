import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { contentHash } from "../../core/index.js";
import { analyzeInParallel, largestFirstBatches } from "./pool.js";
import type { WorkItem } from "./work-item.js";

const folder = mkdtempSync(join(tmpdir(), "pyagent-pool-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A work item for a real file written under a temp folder. */
function item(path: string, source: string, cachedHash?: string): WorkItem {
  const absolutePath = join(folder, path);
  writeFileSync(absolutePath, source);
  return { path, absolutePath, size: Buffer.byteLength(source), cachedHash };
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

  it.skipIf(!existsSync(builtPool))("says which files still have their cached content and which could not be read, on one or two threads and in process", async () => {
    const { analyzeInParallel: analyzeOnThreads } = (await import(builtPool.href)) as { analyzeInParallel: typeof analyzeInParallel };
    const source = "x = 1\n";
    const items = Array.from({ length: 30 }, (_, index) => item(`t${index}.py`, `y${index} = ${index}\n`));
    items.push(item("same.py", source, contentHash(source)), item("changed.py", source, contentHash("x = 2\n")));
    items.push({ path: "gone.py", absolutePath: join(folder, "gone.py"), size: 10 });
    for (const [run, threads] of [[analyzeInParallel, 0], [analyzeOnThreads, 1], [analyzeOnThreads, 2]] as const) {
      const results = await run(items, threads);
      expect(results.slice(-3).map((result) => result.state)).toEqual(["unchanged", "ok", "unreadable"]);
      expect(results.at(-1)).toMatchObject({ path: "gone.py", message: "no such file" });
    }
  }, 20_000);

  it.skipIf(!existsSync(builtPool))("a run takes the threads started ahead of it, and a run with nothing to thread stops them", async () => {
    type Pool = typeof import("./pool.js");
    const pool = (await import(builtPool.href)) as Pool;
    pool.prestartParserThreads(2);
    expect(pool.idleParserThreadCount()).toBe(2);
    const items = Array.from({ length: 30 }, (_, index) => item(`p${index}.py`, `def g${index}():\n    pass\n`));
    const results = await pool.analyzeInParallel(items, 2);
    expect(results.every((result) => result.state === "ok")).toBe(true);
    expect(pool.idleParserThreadCount()).toBe(0);
    pool.prestartParserThreads(2);
    const small = await pool.analyzeInParallel(items.slice(0, 3), 2);
    expect(small.map((result) => result.path)).toEqual(["p0.py", "p1.py", "p2.py"]);
    expect(pool.idleParserThreadCount()).toBe(0);
  }, 20_000);
});
