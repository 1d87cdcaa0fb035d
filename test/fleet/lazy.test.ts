import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lazyImportDecision, medianLowerBound } from "../../src/fleet/import-checks.js";
import { runCli } from "../helpers/cli.js";
import { makeRepo, PYTHON, removeTempDirs, showFile, tempDir, writeFiles } from "./repo.js";

afterAll(removeTempDirs);

const JOBS = "import asyncio\n\n\ndef run(coroutine):\n    return asyncio.run(coroutine)\n\n\ndef name():\n    return 'jobs'\n";
const COLORS = "import colorsys\n\n\ndef to_hsv(red, green, blue):\n    return colorsys.rgb_to_hsv(red, green, blue)\n";

function environment() {
  return { python: PYTHON, timeoutMs: 60_000, pycacheDir: mkdtempSync(join(tmpdir(), "pyagent-pycache-")) };
}

/** `files` as a tree before a change and `changed` over it as the tree after. */
function trees(files: Record<string, string>, changed: Record<string, string>): { before: string; after: string } {
  const before = tempDir("pyagent-lazy-before-");
  const after = tempDir("pyagent-lazy-after-");
  writeFiles(before, files);
  writeFiles(after, { ...files, ...changed });
  return { before, after };
}

describe("lazy-imports through the fleet: the measurement decides", () => {
  it("commits `import asyncio` moved into its function, skips a cheap import and never plans startup modules or hot functions", async () => {
    const root = makeRepo({
      "app/__init__.py": "",
      "app/jobs.py": JOBS,
      "app/colors.py": COLORS,
      "app/paths.py": "import os\n\n\ndef home():\n    return os.path.expanduser('~')\n",
      "app/codec.py": "import json\n\n\ndef encode(value):\n    return json.dumps(value)\n\n\ndef encode_all(values):\n    return [encode(value) for value in values]\n",
      "tests/test_jobs.py": [
        "from app import codec, colors, jobs, paths",
        "",
        "",
        "def test_name():",
        "    assert jobs.name() == 'jobs'",
        "",
        "",
        "def test_run():",
        "    async def answer():",
        "        return 42",
        "    assert jobs.run(answer()) == 42",
        "",
        "",
        "def test_others():",
        "    assert colors.to_hsv(1, 0, 0)[0] == 0",
        "    assert codec.encode_all([1]) == ['1']",
        "    assert paths.home()",
        "",
      ].join("\n"),
    });
    const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, "--agents", "lazy-imports");
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const byFile = new Map(report.tasks.map((task: { files: string[] }) => [task.files[0], task]));
    expect([...byFile.keys()].sort()).toEqual(["app/colors.py", "app/jobs.py"]);
    const jobs = byFile.get("app/jobs.py") as { state: string; title: string; checks: Array<{ check: string; summary: string }> };
    expect(jobs.state).toBe("committed");
    expect(jobs.title).toBe("app.jobs: import asyncio lazily in the functions that use it");
    const importCheck = jobs.checks.find((check) => check.check === "import")!;
    expect(importCheck.summary).toMatch(/^app\.jobs [\d.]+ -> [\d.]+ ms \(medians of 9 interleaved runs; saves >= [\d.]+ ms at 95% confidence and in the best runs\)$/);
    const [before, after] = importCheck.summary.match(/[\d.]+(?= ->| ms)/g)!.map(Number);
    expect(after).toBeLessThan(before!);
    expect(showFile(root, `pyagent/${report.id}`, "app/jobs.py")).toMatch(/def run\(coroutine\):\n\s+import asyncio\n/);
    const colors = byFile.get("app/colors.py") as { state: string; reason: string };
    expect(colors.state).toBe("skipped");
    expect(colors.reason).toMatch(/a lazy import must save at least 5\.0 ms/);
  });

  it("gives the same decision in three runs on the same trees: asyncio kept, colorsys skipped", async () => {
    const expensive = trees({ "app/__init__.py": "", "app/jobs.py": JOBS }, { "app/jobs.py": JOBS.replace("import asyncio\n\n\n", "").replace("def run(coroutine):\n", "def run(coroutine):\n    import asyncio\n") });
    const cheap = trees({ "app/__init__.py": "", "app/colors.py": COLORS }, { "app/colors.py": COLORS.replace("import colorsys\n\n\n", "").replace("):\n", "):\n    import colorsys\n") });
    const decisions: string[] = [];
    for (let run = 0; run < 3; run++) {
      const kept = await lazyImportDecision(expensive.before, expensive.after, { module: "app.jobs", minimumMs: 5, loaded: "asyncio" }, environment());
      const skipped = await lazyImportDecision(cheap.before, cheap.after, { module: "app.colors", minimumMs: 5, loaded: "colorsys" }, environment());
      decisions.push(`${kept.state}/${skipped.state}`);
    }
    expect(decisions).toEqual(["keep/skip", "keep/skip", "keep/skip"]);
  });

  it("skips a module the interpreter loads at start-up, and one another module of the package still loads", async () => {
    const startup = trees({ "app/__init__.py": "", "app/text.py": "import codecs\n\n\ndef utf8(text):\n    return codecs.encode(text, 'utf-8')\n" }, {
      "app/text.py": "def utf8(text):\n    import codecs\n    return codecs.encode(text, 'utf-8')\n",
    });
    const decision = await lazyImportDecision(startup.before, startup.after, { module: "app.text", minimumMs: 5, loaded: "codecs" }, environment());
    expect(decision).toEqual({ state: "skip", reason: "codecs is loaded at interpreter start-up: importing it lazily saves nothing" });

    const shared = trees({ "app/__init__.py": "from . import other\n", "app/other.py": "import asyncio\n", "app/jobs.py": JOBS }, {
      "app/jobs.py": JOBS.replace("import asyncio\n\n\n", "").replace("def run(coroutine):\n", "def run(coroutine):\n    import asyncio\n"),
    });
    const loaded = await lazyImportDecision(shared.before, shared.after, { module: "app.jobs", minimumMs: 5, loaded: "asyncio" }, environment());
    expect(loaded.state).toBe("skip");
    expect(loaded.state === "skip" && loaded.reason).toMatch(/still loads asyncio/);
  });

  it("skips a script that does not import from the repository root instead of failing it", async () => {
    const script = trees({ "benchmarks/_harness.py": "import argparse\n\n\ndef main():\n    return argparse.ArgumentParser()\n" }, {
      "benchmarks/_harness.py": "def main():\n    import argparse\n    return argparse.ArgumentParser()\n",
    });
    const decision = await lazyImportDecision(script.before, script.after, { module: "_harness", minimumMs: 5, loaded: "argparse" }, environment());
    expect(decision).toEqual({ state: "skip", reason: "_harness does not import from the repository root, so its import time cannot be measured" });
  });

  it("bounds the median saving with the sign test: the second smallest of nine, the smallest of seven", () => {
    expect(medianLowerBound([9, 1, 8, 2, 7, 3, 6, 4, 5])).toBe(2);
    expect(medianLowerBound([7, 1, 6, 2, 5, 3, 4])).toBe(1);
    expect(medianLowerBound([3, 1, 2])).toBe(1);
  });
});
