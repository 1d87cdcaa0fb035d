import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FIXTURE, makeRepo, PYTHON, removeTempDirs, tempDir } from "./repo.js";

afterAll(removeTempDirs);

async function finishedRun(root: string): Promise<string> {
  const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, "--jobs", "1", "--agents", "unused-imports");
  if (result.code !== 0) throw new Error(`improve exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout).id as string;
}

function tamper(root: string, runId: string): string {
  const trail = join(root, ".pyagent/audit", `${runId}.jsonl`);
  writeFileSync(trail, readFileSync(trail, "utf8").replace('"state":"committed"', '"state":"failed"'));
  return trail;
}

describe("audit trail of a repository copy", () => {
  it("audit verify RUN PATH checks the trail under PATH, not the repository the journal recorded: a tampered copy fails", async () => {
    const original = makeRepo(FIXTURE);
    const runId = await finishedRun(original);
    const copy = join(tempDir("pyagent-copy-"), "repo");
    cpSync(original, copy, { recursive: true });
    const trail = tamper(copy, runId);

    const verdict = await runCli("audit", "verify", runId, copy);
    expect(verdict.code).toBe(1);
    expect(verdict.stderr).toContain(`audit trail ${trail} is broken at line`);
    const untouched = await runCli("audit", "verify", runId, original);
    expect(untouched.code, untouched.stderr).toBe(0);
  }, 120_000);

  it("resuming a run whose audit trail was tampered with refuses with one clear message and exit 65, not an internal error", async () => {
    const root = makeRepo(FIXTURE);
    const runId = await finishedRun(root);
    const trail = tamper(root, runId);
    const resumed = await runCli("improve", root, "--resume", runId, "--python", PYTHON);
    expect(resumed.code).toBe(65);
    expect(resumed.stderr).toMatch(new RegExp(`^pyagent: audit trail ${trail.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is broken at line \\d+: hash does not match .*cannot be continued or merged: start a new run`));
    expect(resumed.stderr).not.toContain("unexpected error");
    expect(resumed.stderr.trim().split("\n")).toHaveLength(1);
    const merged = await runCli("merge", runId, root, "--python", PYTHON);
    expect(merged.code).toBe(65);
  }, 120_000);
});
