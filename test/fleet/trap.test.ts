import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { git, makeRepo, PYTHON, removeTempDirs } from "./repo.js";

/**
 * `paths.py` never uses `os` itself, but a test monkeypatches `app.paths.os.getcwd` (named in a
 * string, which analyze cannot tie to the import): the import is load-bearing.
 */
const TRAP = {
  "app/__init__.py": "",
  "app/paths.py": ["import os", "import shutil", "", "", "def here():", '    return "here"', ""].join("\n"),
  "tests/test_paths.py": [
    "from app import paths",
    "",
    "",
    "def test_cwd_is_patched(monkeypatch):",
    '    print("connecting with api_key=sk-abcdefghijklmnopqrstuvwx")',
    '    monkeypatch.setattr("app.paths.os.getcwd", lambda: "/patched")',
    "",
    "",
    "def test_here():",
    '    assert paths.here() == "here"',
    "",
  ].join("\n"),
};

afterAll(removeTempDirs);

describe("the proof catches an 'unused' import a test relies on", () => {
  it("removes `import os`, sees the monkeypatch test fail, commits nothing, and the report says why", async () => {
    const root = makeRepo(TRAP);
    const head = git(root, "rev-parse", "HEAD");
    const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, "--agents", "unused-imports");
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.tasks).toHaveLength(1);
    const [task] = report.tasks;
    expect(task.state).toBe("failed");
    expect(task.reason).toContain("tests/test_paths.py::test_cwd_is_patched");
    expect(git(root, "rev-parse", "main")).toBe(head);
    expect(git(root, "for-each-ref", "refs/heads/pyagent")).toBe(""); // a run that commits nothing leaves no branch

    const markdown = readFileSync(join(root, ".pyagent/runs", `${report.id}.md`), "utf8");
    expect(markdown).toMatch(/## Rejected \(1\)/);
    expect(markdown).toContain("failed the proof: pytest: new failure tests/test_paths.py::test_cwd_is_patched");
    expect(markdown).toMatch(/-import os/); // the dropped diff is kept
    expect(markdown).toMatch(/AttributeError|has no attribute 'os'/); // and the failing output

    // The failing output printed a secret: journal, audit trail and report hold it masked.
    for (const file of [".pyagent/pyagent.db", `.pyagent/audit/${report.id}.jsonl`, `.pyagent/runs/${report.id}.md`]) {
      expect(readFileSync(join(root, file), "latin1")).not.toContain("sk-abcdefghijklmnopqrstuvwx");
    }
    expect(markdown).toContain("api_key=[REDACTED]");
  });
});
