import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { makeRepo, PYTHON, removeTempDirs, showFile } from "./repo.js";

afterAll(removeTempDirs);

describe("lazy-imports through the fleet: the measurement decides", () => {
  it("keeps moving `import asyncio` into the function that uses it, because the module's import time drops", async () => {
    const root = makeRepo({
      "app/__init__.py": "",
      "app/jobs.py": "import asyncio\n\n\ndef run(coroutine):\n    return asyncio.run(coroutine)\n\n\ndef name():\n    return 'jobs'\n",
      "tests/test_jobs.py": "from app import jobs\n\n\ndef test_name():\n    assert jobs.name() == 'jobs'\n\n\ndef test_run():\n    async def answer():\n        return 42\n    assert jobs.run(answer()) == 42\n",
    });
    const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, "--agents", "lazy-imports");
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const task = report.tasks.find((candidate: { files: string[] }) => candidate.files[0] === "app/jobs.py");
    expect(task.state).toBe("committed");
    const importCheck = task.checks.find((check: { check: string }) => check.check === "import");
    expect(importCheck.summary).toMatch(/^app\.jobs [\d.]+ -> [\d.]+ ms$/);
    const [before, after] = importCheck.summary.match(/[\d.]+(?= )/g).map(Number);
    expect(after).toBeLessThan(before);
    expect(showFile(root, `pyagent/${report.id}`, "app/jobs.py")).toMatch(/def run\(coroutine\):\n\s+import asyncio\n/);
  });
});
