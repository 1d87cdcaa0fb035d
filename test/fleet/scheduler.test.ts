import { describe, expect, it } from "vitest";
import { schedule } from "../../src/fleet/index.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("task scheduler", () => {
  it("never runs two tasks that share a file at once, keeps their order, and runs disjoint tasks in parallel", async () => {
    const tasks = [
      { id: "a1", files: ["a.py"] },
      { id: "b1", files: ["b.py"] },
      { id: "a2", files: ["a.py", "c.py"] },
      { id: "c1", files: ["c.py"] },
      { id: "d1", files: ["d.py"] },
    ];
    const open = new Map<string, string>();
    const started: string[] = [];
    let peak = 0;
    let running = 0;
    await schedule(tasks, 3, async (task) => {
      for (const file of task.files) {
        expect(open.get(file), `${task.id} overlaps ${open.get(file)} on ${file}`).toBeUndefined();
        open.set(file, task.id);
      }
      started.push(task.id);
      peak = Math.max(peak, ++running);
      await sleep(20);
      running--;
      for (const file of task.files) open.delete(file);
    }, () => true);
    expect(started.indexOf("a1")).toBeLessThan(started.indexOf("a2"));
    expect(started.indexOf("a2")).toBeLessThan(started.indexOf("c1")); // c1 waits for the earlier a2 that also touches c.py
    expect(started).toHaveLength(5);
    expect(peak).toBe(3);
  });

  it("stops starting tasks when canStart says no, and lets the running ones finish", async () => {
    const done: string[] = [];
    let budget = 2;
    await schedule([{ id: "1", files: ["1"] }, { id: "2", files: ["2"] }, { id: "3", files: ["3"] }], 1, async (task) => {
      budget--;
      done.push(task.id);
    }, () => budget > 0);
    expect(done).toEqual(["1", "2"]);
  });
});
