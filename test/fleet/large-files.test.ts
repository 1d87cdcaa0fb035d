import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FIXTURE, makeRepo, PYTHON, removeTempDirs } from "./repo.js";

afterAll(removeTempDirs);

/** FIXTURE plus a generated module over a 2,000-byte max-file-bytes (it has an unused import too) and one that does not parse. */
function repoWithSkippedFiles(): string {
  const generated = `import os\n\n\nTABLE = [\n${Array.from({ length: 300 }, (_, index) => `    ${index},`).join("\n")}\n]\n`;
  expect(generated.length).toBeGreaterThan(2000);
  return makeRepo({ ...FIXTURE, "pyproject.toml": "[tool.pyagent]\nmax-file-bytes = 2000\n", "pkg/generated.py": generated, "scripts/broken.py": "def broken(:\n    pass\n" });
}

describe("files improve cannot analyze are reported, not skipped without a word", () => {
  it("says which files were over max-file-bytes (and which did not parse) in the progress, the summary and the run report", async () => {
    const root = repoWithSkippedFiles();
    const result = await runCli("improve", root, "--python", PYTHON, "--jobs", "1", "--agents", "unused-imports");
    expect(result.code, result.stderr).toBe(0);
    const tooLarge = "skipped 1 file over max-file-bytes: pkg/generated.py";
    const broken = "1 file not analyzed, so not improved: scripts/broken.py (syntax error at line 1, column 12: missing ))";
    expect(result.stderr).toContain(`plan: ${tooLarge}\n`);
    expect(result.stderr).toContain(`plan: ${broken}\n`);
    expect(result.stdout).toContain(`${tooLarge}\n`);
    expect(result.stdout).not.toContain("pkg/generated.py): remove unused imports"); // no task for it
    const runId = /run (\S+):/.exec(result.stdout)![1]!;
    const report = readFileSync(join(root, ".pyagent/runs", `${runId}.md`), "utf8");
    expect(report).toContain(`- ${tooLarge}\n`);
    expect(report).toContain(`- ${broken}\n`);

    const json = await runCli("show", runId, root, "--format", "json");
    expect(JSON.parse(json.stdout).notAnalyzed.map((error: { path: string }) => error.path)).toEqual(["pkg/generated.py", "scripts/broken.py"]);
  }, 120_000);

  it("--dry-run lists them under the plan", async () => {
    const root = repoWithSkippedFiles();
    const result = await runCli("improve", root, "--dry-run", "--python", PYTHON, "--agents", "unused-imports");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("skipped 1 file over max-file-bytes: pkg/generated.py\n");
  });
});
