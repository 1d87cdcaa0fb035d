import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FIXTURE, git, makeRepo, pytestPassesAt, PYTHON, removeTempDirs, showFile, userView } from "./repo.js";

const AGENTS = ["--agents", "unused-imports,dead-code"];

async function improveJson(root: string, ...extra: string[]) {
  const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, "--jobs", "2", ...AGENTS, ...extra);
  if (result.code !== 0) throw new Error(`improve exited ${result.code}: ${result.stderr}`);
  return { report: JSON.parse(result.stdout), stderr: result.stderr };
}

afterAll(removeTempDirs);

describe("pyagent improve on a repo with unused imports, unreachable code and passing tests", () => {
  it("lands every fix as its own trailered commit on pyagent/<run-id>, tests pass there, and the user's branch is untouched", async () => {
    const root = makeRepo(FIXTURE);
    writeFileSync(join(root, "notes.txt"), "uncommitted user work\n"); // a dirty tree is fine: the run starts from HEAD
    const head = git(root, "rev-parse", "HEAD");
    const { report, stderr } = await improveJson(root);

    expect(stderr).toMatch(/baseline: compileall ok; pytest 2 passed/);
    expect(stderr).toMatch(/committed/);
    const committed = report.tasks.filter((task: { state: string }) => task.state === "committed");
    expect(committed.map((task: { title: string }) => task.title).sort()).toEqual([
      "pkg.core: remove 1 unreachable block (after return)",
      "pkg.core: remove 2 unused imports (os, sys)",
      "pkg.util: remove 2 unused imports (re, json)",
    ]);
    const branch = `pyagent/${report.id}`;
    const log = git(root, "log", "--format=%H %s", `${head}..${branch}`).split("\n");
    expect(log).toHaveLength(3); // one commit per fix
    for (const task of committed) {
      const message = git(root, "log", "-1", "--format=%B", task.commit);
      expect(message.split("\n")[0]).toBe(task.title);
      expect(message).toContain(`PyAgent-Run: ${report.id}`);
      expect(message).toContain(`PyAgent-Agent: ${task.agent}`);
      expect(message).toMatch(/PyAgent-Checks: compileall ok; pytest 2 passed/);
      expect(git(root, "diff", "--name-only", `${task.commit}~1`, task.commit).split("\n")).toEqual(task.files);
    }
    const core = showFile(root, branch, "pkg/core.py");
    expect(core).not.toMatch(/^import (os|sys)$/m);
    expect(core).not.toContain('print("never")');
    expect(pytestPassesAt(root, branch).passed).toBe(true);

    // The user's branch, working tree and worktree list are exactly as before.
    expect(git(root, "rev-parse", "main")).toBe(head);
    expect(git(root, "symbolic-ref", "HEAD")).toBe("refs/heads/main");
    expect(userView(root)).toEqual({ status: "?? notes.txt", worktrees: 1, branches: ["main", branch] });
    expect(readFileSync(join(root, "pkg/core.py"), "utf8")).toBe(FIXTURE["pkg/core.py"]);

    // Journal, report, audit trail.
    const markdown = readFileSync(join(root, ".pyagent/runs", `${report.id}.md`), "utf8");
    expect(markdown).toContain("| pytest | 2 passed | 2 passed |");
    expect(markdown).toContain("-import os");
    const verify = await runCli("audit", "verify", report.id, root);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^ok: \d+ records, chain intact\n$/);
    const runs = await runCli("runs", root);
    expect(runs.stdout).toContain(`${report.id}  finished`);
    const show = await runCli("show", report.id, root);
    expect(show.stdout).toContain("-import json");

    // Later, `pyagent merge` fast-forwards main; the clean checkout follows (notes.txt is untracked and kept).
    const merged = await runCli("merge", report.id, root);
    expect(merged.stdout).toMatch(/merged into main .*fast-forward, working tree updated/);
    expect(git(root, "rev-parse", "main")).toBe(git(root, "rev-parse", branch));
    expect(readFileSync(join(root, "pkg/core.py"), "utf8")).toBe(core);
    expect(userView(root).status).toBe("?? notes.txt");

    // Editing the audit trail afterwards is caught, with the line.
    const trail = join(root, ".pyagent/audit", `${report.id}.jsonl`);
    writeFileSync(trail, readFileSync(trail, "utf8").replace('"state":"committed"', '"state":"failed"'));
    const tampered = await runCli("audit", "verify", report.id, root);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/audit trail .* is broken at line \d+: hash does not match/);
  });

  it("with --merge, merges into a branch that moved meanwhile with a merge commit, re-proven, and updates the clean checkout", async () => {
    const root = makeRepo(FIXTURE);
    const { report } = await improveJson(root, "--max-changes", "1");
    expect(report.tasks.filter((task: { state: string }) => task.state === "committed")).toHaveLength(1);
    expect(report.tasks.filter((task: { state: string }) => task.state === "planned")).toHaveLength(2); // --max-changes 1

    // The user commits on main after the run; merging now needs a merge commit.
    writeFileSync(join(root, "README.md"), "hello\n");
    git(root, "add", "README.md");
    git(root, "commit", "-q", "-m", "docs");
    const userTip = git(root, "rev-parse", "main");
    const merged = await runCli("merge", report.id, root, "--python", PYTHON);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/merged into main .*merge commit/);
    const parents = git(root, "log", "-1", "--format=%P", "main").split(" ");
    expect(parents).toEqual([userTip, git(root, "rev-parse", `pyagent/${report.id}`)]);
    expect(existsSync(join(root, "README.md"))).toBe(true);
    expect(userView(root).status).toBe("");
    expect(pytestPassesAt(root, "main").passed).toBe(true);
  });

  it("with --merge and --merge-threshold 2 on a clean checkout, merges a batch mid-run and the rest at the end", async () => {
    const root = makeRepo(FIXTURE);
    const { report, stderr } = await improveJson(root, "--merge", "--merge-threshold", "2", "--jobs", "1");
    expect(report.merges.map((merge: { state: string; fastForward: boolean }) => `${merge.state} ${merge.fastForward}`)).toEqual(["merged true", "merged true"]);
    expect(stderr.match(/^merge: merged into main/gm)).toHaveLength(2);
    expect(git(root, "rev-parse", "main")).toBe(git(root, "rev-parse", `pyagent/${report.id}`));
    expect(git(root, "rev-list", "--count", "main")).toBe("4");
    expect(userView(root).status).toBe("");
    expect(readFileSync(join(root, "pkg/util.py"), "utf8")).not.toContain("import re");
  });

  it("a merge that conflicts keeps the run branch, leaves the user's branch alone, and exits 1", async () => {
    const root = makeRepo(FIXTURE);
    const { report } = await improveJson(root, "--agents", "unused-imports");
    writeFileSync(join(root, "pkg/util.py"), FIXTURE["pkg/util.py"]!.replace("import re\nimport json\n", "import re  # kept on purpose\nimport json\n"));
    git(root, "commit", "-q", "-am", "user edits the same lines");
    const userTip = git(root, "rev-parse", "main");
    const runTip = git(root, "rev-parse", `pyagent/${report.id}`);
    const merged = await runCli("merge", report.id, root, "--python", PYTHON);
    expect(merged.code).toBe(1);
    expect(merged.stdout).toMatch(/conflict merging into main \(pkg\/util\.py\); the changes stay on the run branch/);
    expect(git(root, "rev-parse", "main")).toBe(userTip);
    expect(git(root, "rev-parse", `pyagent/${report.id}`)).toBe(runTip);
    expect(userView(root)).toEqual({ status: "", worktrees: 1, branches: ["main", `pyagent/${report.id}`] });
  });

  it("--merge with uncommitted changes to a file the run changed leaves the user's branch and files alone and exits 1", async () => {
    const root = makeRepo(FIXTURE);
    const head = git(root, "rev-parse", "HEAD");
    writeFileSync(join(root, "pkg/core.py"), FIXTURE["pkg/core.py"] + "# my edit\n");
    const result = await runCli("improve", root, "--python", PYTHON, "--agents", "dead-code", "--merge");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/not merged: main is checked out .* with uncommitted changes to files the run changed \(pkg\/core\.py\); nothing was touched/);
    expect(git(root, "rev-parse", "main")).toBe(head);
    expect(readFileSync(join(root, "pkg/core.py"), "utf8")).toContain("# my edit");
    expect(userView(root).status).toBe("M pkg/core.py");
  });

  it("--merge with uncommitted edits only to files the run did not touch merges, as git merge does, and keeps the edits", async () => {
    const root = makeRepo(FIXTURE);
    writeFileSync(join(root, "pkg/util.py"), FIXTURE["pkg/util.py"] + "# my edit\n");
    writeFileSync(join(root, "tests/test_pkg.py"), FIXTURE["tests/test_pkg.py"] + "# staged edit\n");
    git(root, "add", "tests/test_pkg.py");
    const result = await runCli("improve", root, "--python", PYTHON, "--agents", "dead-code", "--merge");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/merge: merged into main .*working tree updated/);
    expect(readFileSync(join(root, "pkg/core.py"), "utf8")).not.toContain('print("never")'); // the run's change is in the checkout
    expect(readFileSync(join(root, "pkg/util.py"), "utf8")).toContain("# my edit");
    expect(readFileSync(join(root, "tests/test_pkg.py"), "utf8")).toContain("# staged edit");
    expect(git(root, "status", "--porcelain", "--untracked-files=no")).toBe("M pkg/util.py\nM  tests/test_pkg.py"); // (trimmed: " M pkg/util.py")
    expect(git(root, "log", "-1", "--format=%s", "main")).toBe("pkg.core: remove 1 unreachable block (after return)");
  });

  it("--dry-run prints the plan and writes nothing, not even the store", async () => {
    const root = makeRepo(FIXTURE);
    const result = await runCli("improve", root, "--dry-run", "--python", PYTHON, ...AGENTS);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/3 tasks \(dry run: nothing was changed\)/);
    expect(result.stdout).toContain("pkg.util: remove 2 unused imports (re, json)");
    expect(existsSync(join(root, ".pyagent"))).toBe(false);
    expect(userView(root)).toEqual({ status: "", worktrees: 1, branches: ["main"] });
  });
});
