import { afterAll, describe, expect, it } from "vitest";
import { StateVersionError } from "../../src/core/index.js";
import { openJournal } from "../../src/fleet/index.js";
import { removeTempDirs, tempDir } from "./repo.js";

function journal() {
  return openJournal(tempDir("pyagent-journal-"));
}

const OPTIONS = { agents: ["dead-code"], maxChanges: null, mergeThreshold: 50, merge: false, jobs: 1, checkTimeoutMs: 1000, python: "python3", goal: "password=hunter22hunter" };

afterAll(removeTempDirs);

describe("run journal", () => {
  it("records every task transition in order, and masks secrets in what it stores", () => {
    const { store, journal: runs } = journal();
    runs.createRun({ id: "r1", root: "/repo", baseCommit: "abc", baseBranch: "main", runBranch: "pyagent/r1", options: OPTIONS });
    runs.saveTasks("r1", [{ id: "t1", agent: "dead-code", title: "refactor(m): remove unreachable code", files: ["m.py"], benefit: 1, findings: [] }]);
    runs.saveTasks("r1", [{ id: "t1", agent: "dead-code", title: "refactor(m): remove unreachable code", files: ["m.py"], benefit: 1, findings: [] }]); // a resumed run plans again
    runs.transition("r1", "t1", "running");
    runs.transition("r1", "t1", "proven", { provenCommit: "def", reason: "token=abcdef123456" });
    runs.transition("r1", "t1", "committed", { commit: "def" });
    expect(runs.getEvents("r1").map((event) => `${event.from}->${event.to}`)).toEqual(["null->planned", "planned->running", "running->proven", "proven->committed"]);
    const [task] = runs.getTasks("r1");
    expect(task).toMatchObject({ state: "committed", commit: "def", provenCommit: "def", reason: "token=[REDACTED]" });
    expect(runs.getRun("r1")!.options.goal).toBe("password=[REDACTED]");
    store.close();
  });

  it("refuses a journal written by a newer PyAgent (exit code 3)", () => {
    const root = tempDir("pyagent-journal-");
    const first = openJournal(root);
    first.store.setMeta("fleet_schema_version", "99");
    first.store.close();
    try {
      openJournal(root);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StateVersionError);
      expect((error as StateVersionError).exitCode).toBe(3);
      expect((error as Error).message).toMatch(/fleet schema 99/);
    }
  });
});
