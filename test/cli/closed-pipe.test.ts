import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURE, makeRepo, PYTHON, removeTempDirs } from "../fleet/repo.js";
import { BIN, runCli } from "../helpers/cli.js";

afterAll(removeTempDirs);

/** `pyagent args | head -1` in bash: head exits after the first line, closing the pipe under the CLI. */
function readFirstLine(args: string[]): Promise<{ code: number | null; firstLine: string; stderr: string }> {
  return new Promise((resolve) => {
    const script = '"$0" "$@" | head -1; exit "${PIPESTATUS[0]}"';
    const child = spawn("bash", ["-c", script, process.execPath, BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code, firstLine: stdout.replace(/\n$/, ""), stderr }));
  });
}

/** A module with thousands of unused imports: its fix's diff makes `show` print far more than a pipe buffer holds (64 KiB). */
function bigFixture(): Record<string, string> {
  const imports = Array.from({ length: 3000 }, (_, index) => `import a_rather_long_module_name_${String(index).padStart(4, "0")}`);
  return { ...FIXTURE, "pkg/many.py": `${imports.join("\n")}\n\n\ndef nothing():\n    return None\n` };
}

describe("a CLI whose output pipe is closed by the reader", () => {
  it("pyagent show RUN | head -1 ends quietly: the first line, no stack trace, exit 141 (SIGPIPE) or 0", async () => {
    const root = makeRepo(bigFixture());
    const run = await runCli("improve", root, "--format", "json", "--python", PYTHON, "--jobs", "1", "--agents", "unused-imports");
    expect(run.code, run.stderr).toBe(0);
    const runId = JSON.parse(run.stdout).id as string;
    expect((await runCli("show", runId, root)).stdout.length).toBeGreaterThan(100_000); // more than a pipe buffer holds

    for (const args of [["show", runId, root], ["show", runId, root, "--format", "json"]]) {
      const result = await readFirstLine(args);
      expect(result.firstLine).toMatch(args.includes("json") ? /^\{$/ : new RegExp(`^# PyAgent run ${runId}$`));
      expect(result.stderr, args.join(" ")).toBe("");
      expect([0, 141]).toContain(result.code);
    }
  }, 120_000);

  it("pyagent analyze | head -1 on a large tree ends quietly too", async () => {
    const files: Record<string, string> = {};
    for (let index = 0; index < 400; index++) files[`m${index}.py`] = `import os\nimport sys\n\n\ndef f${index}(x):\n    return x + 1\n`;
    const root = makeRepo(files);
    const result = await readFirstLine(["analyze", root, "--format", "json"]);
    expect(result.firstLine).toBe("{");
    expect(result.stderr).toBe("");
    expect([0, 141]).toContain(result.code);
  }, 120_000);
});
