import { afterAll, describe, expect, it } from "vitest";
import { startScriptedServer, type ScriptedServer } from "../../src/providers/index.js";
import { answer, block, configureModels, improveJson, makeRepo, removeTempDirs, showFile } from "./llm-support.js";

let server: ScriptedServer | undefined;
afterAll(async () => {
  await server?.close();
  removeTempDirs();
});

describe("the tests and type-hints agents", () => {
  it("commits new pytest tests that pass, drops ones that fail, and proves type hints without pyright (not installed here)", { timeout: 40_000 }, async () => {
    server = await startScriptedServer({
      version: 1,
      mode: "matched",
      interactions: [
        answer("strict code reviewer", JSON.stringify({ summary: "good", comments: [], verdict: "approve", score: 7 })),
        answer("(file `pkg/mathx.py`)", block("tests/test_pyagent_pkg_mathx.py", "", "from pkg.mathx import square\n\n\ndef test_square():\n    assert square(3) == 9\n    assert square(-2) == 4")),
        answer("(file `pkg/strs.py`)", block("tests/test_pyagent_pkg_strs.py", "", "from pkg.strs import rev\n\n\ndef test_rev():\n    assert rev('ab') == 'ab'")),
        answer("typing engineer", block("pkg/mathx.py", "def square(x):", "def square(x: float) -> float:")),
      ],
    });
    const root = makeRepo({
      "pkg/__init__.py": "",
      "pkg/mathx.py": "def square(x):\n    return x * x\n",
      "pkg/strs.py": "def rev(s: str) -> str:\n    return s[::-1]\n",
      "tests/test_smoke.py": "def test_smoke():\n    assert True\n",
      "pyrightconfig.json": "{}\n",
    });
    configureModels(root, [{ name: "scripted", url: server.url }]);
    const run = await improveJson(root, "--model", "scripted", "--agents", "tests,type-hints", "--no-director", "--strategy", "single");
    expect(run.code).toBe(0);
    const states = Object.fromEntries(run.json.tasks.map((task) => [task.title, [task.state, task.reason ?? null]]));
    expect(states).toEqual({
      "test(pkg.mathx): add tests for square": ["committed", null],
      "test(pkg.strs): add tests for rev": ["failed", "pytest: new failures tests/test_pyagent_pkg_strs.py::test_rev"],
      "refactor(pkg.mathx): add type hints": ["committed", null],
    });
    expect(showFile(root, run.json.runBranch, "tests/test_pyagent_pkg_mathx.py")).toContain("assert square(3) == 9");
    expect(showFile(root, run.json.runBranch, "pkg/mathx.py")).toContain("def square(x: float) -> float:");
    expect((run.json as unknown as { baseline: { unavailable: Array<{ check: string; reason: string }> } }).baseline.unavailable).toContainEqual({ check: "pyright", reason: "configured but the pyright command is not installed" });
  });
});
