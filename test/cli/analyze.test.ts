import { chmodSync, existsSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { makeTree, runBin, runCli } from "../helpers/cli.js";

const SAMPLE = {
  "pkg/__init__.py": "from .core import Engine\n__all__ = ['Engine']\n",
  "pkg/core.py": [
    "import os",
    "import sys",
    "from pkg import helpers",
    "",
    "",
    "class Engine:",
    "    def run(self, items):",
    "        total = 0",
    "        for item in items:",
    "            if item > 0 and item < 10:",
    "                total += item",
    "            elif item < 0:",
    "                total -= item",
    "        return total",
    "        print('never')",
    "",
    "",
    "def main():",
    "    unused = 42",
    "    return helpers.helper(sys.argv)",
    "",
  ].join("\n"),
  "pkg/helpers.py": "from pkg import core\n\n\ndef helper(argv):\n    return len(argv)\n",
};

async function analyzeJson(root: string, ...extra: string[]) {
  const result = await runCli("analyze", root, "--format", "json", ...extra);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

describe("pyagent analyze", () => {
  it("reports metrics, functions, findings and cycles in the documented JSON shape", async () => {
    const root = makeTree(SAMPLE);
    const report = await analyzeJson(root);
    expect(report.root).toBe(root);
    expect(report.files.map((file: { path: string }) => file.path)).toEqual(["pkg/__init__.py", "pkg/core.py", "pkg/helpers.py"]);
    const core = report.files[1];
    for (const key of ["loc", "lloc", "sloc", "comments", "multi", "blank", "mi"]) expect(typeof core[key]).toBe("number");
    expect(core.loc).toBe(20);
    expect(core.functions).toEqual(
      expect.arrayContaining([
        { name: "Engine", kind: "class", line: 6, endLine: 15, complexity: 6 },
        { name: "Engine.run", kind: "method", line: 7, endLine: 15, complexity: 5 },
        { name: "main", kind: "function", line: 18, endLine: 20, complexity: 1 },
      ]),
    );
    const rules = report.findings.map((finding: { rule: string; path: string; line: number }) => `${finding.rule} ${finding.path}:${finding.line}`);
    expect(rules).toEqual(expect.arrayContaining(["unused-import pkg/core.py:1", "unreachable-code pkg/core.py:15", "unused-variable pkg/core.py:19", "import-cycle pkg/core.py:1"]));
    expect(rules).not.toContain("unused-import pkg/__init__.py:1");
    expect(report.cycles).toEqual([["pkg.core", "pkg.helpers"]]);
    expect(report.errors).toEqual([]);
    for (const finding of report.findings) {
      expect(Object.keys(finding)).toEqual(expect.arrayContaining(["rule", "path", "line", "message", "confidence"]));
    }
  });

  it("does not report an import another module re-imports from it, on cold and warm runs", async () => {
    const root = makeTree({
      "app/__init__.py": "",
      "app/compat.py": "from app.impl import helper\nimport json\n\n\ndef local():\n    return 2\n",
      "app/impl.py": "def helper():\n    return 1\n",
      "app/main.py": "from app.compat import helper\n\nprint(helper())\n",
    });
    for (let run = 0; run < 2; run++) {
      const report = await analyzeJson(root);
      const unused = report.findings.filter((finding: { rule: string }) => finding.rule === "unused-import").map((finding: { symbol: string }) => finding.symbol);
      expect(unused).toEqual(["json"]);
    }
  });

  it("stores the code graph in PATH/.pyagent and keeps the store out of git", async () => {
    const root = makeTree(SAMPLE);
    await analyzeJson(root);
    expect(readFileSync(join(root, ".pyagent/.gitignore"), "utf8")).toBe("*\n");
    const db = new Database(join(root, ".pyagent/pyagent.db"), { readonly: true });
    const modules = db.prepare("SELECT name FROM graph_modules ORDER BY name").all();
    const imports = db.prepare("SELECT module, target FROM graph_imports WHERE internal = 1 ORDER BY module, target").all();
    const definitions = db.prepare("SELECT module, name, kind FROM graph_definitions WHERE name = 'Engine.run'").all();
    const calls = db.prepare("SELECT caller, callee FROM graph_calls WHERE module = 'pkg.core'").all();
    db.close();
    expect(modules).toEqual([{ name: "pkg" }, { name: "pkg.core" }, { name: "pkg.helpers" }]);
    expect(imports).toEqual(expect.arrayContaining([{ module: "pkg", target: "pkg.core" }, { module: "pkg.core", target: "pkg.helpers" }, { module: "pkg.helpers", target: "pkg.core" }]));
    expect(definitions).toEqual([{ module: "pkg.core", name: "Engine.run", kind: "method" }]);
    expect(calls).toEqual(expect.arrayContaining([{ caller: "main", callee: "helpers.helper" }]));
  });

  it("writes the same graph while files arrive (first run) as when it rewrites it whole (a re-run with a change)", async () => {
    const graphOf = (root: string) => {
      const db = new Database(join(root, ".pyagent/pyagent.db"), { readonly: true });
      const tables = ["graph_modules ORDER BY name", "graph_definitions ORDER BY module, line, name", "graph_imports ORDER BY module, line, target", "graph_calls ORDER BY module, line, callee"];
      const rows = tables.map((table) => db.prepare(`SELECT * FROM ${table}`).all());
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'graph_%' ORDER BY name").all();
      db.close();
      return { rows, indexes };
    };
    const extra = { "pkg/extra.py": "from pkg.core import Engine\n\n\ndef make():\n    return Engine().run([1])\n" };
    // A: the whole tree on a first run. B: the tree less one file, then that file added (a re-run).
    const streamed = makeTree({ ...SAMPLE, ...extra });
    await analyzeJson(streamed);
    const rewritten = makeTree(SAMPLE);
    await analyzeJson(rewritten);
    writeFileSync(join(rewritten, "pkg/extra.py"), extra["pkg/extra.py"]);
    expect((await analyzeJson(rewritten)).summary).toMatchObject({ parsed: 1, reused: 3 });
    expect(graphOf(streamed)).toEqual(graphOf(rewritten));
    expect(graphOf(streamed).indexes).toHaveLength(4);
    expect(graphOf(streamed).rows[3]).toEqual(expect.arrayContaining([expect.objectContaining({ module: "pkg.extra", caller: "make", callee: "Engine" })]));

    // A package whose __init__.py does not parse is no package: its modules' names change, and the
    // rows written on the way are replaced by the analyzed files' names.
    const broken = makeTree({ ...SAMPLE, "pkg/__init__.py": "def (:\n" });
    await runCli("analyze", broken, "--format", "json");
    const { rows } = graphOf(broken);
    expect(rows[0].map((row) => (row as { name: string }).name)).toEqual(["core", "helpers"]);
    expect(new Set(rows[1].map((row) => (row as { module: string }).module))).toEqual(new Set(["core", "helpers"]));
  });

  it("re-parses only changed files on a re-run and gives the same report", async () => {
    const root = makeTree(SAMPLE);
    const first = await analyzeJson(root);
    expect(first.summary.parsed).toBe(3);
    const second = await analyzeJson(root);
    expect(second.summary).toMatchObject({ parsed: 0, reused: 3 });
    expect({ ...second, summary: undefined }).toEqual({ ...first, summary: undefined });
    writeFileSync(join(root, "pkg/helpers.py"), "def helper(argv):\n    return len(argv)\n");
    const third = await analyzeJson(root);
    expect(third.summary).toMatchObject({ parsed: 1, reused: 2 });
    expect(third.cycles).toEqual([]);
    // Touched but unchanged content is not re-parsed either.
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, "pkg/core.py"), later, later);
    expect((await analyzeJson(root)).summary).toMatchObject({ parsed: 0, reused: 3 });
    // --no-cache parses everything.
    expect((await analyzeJson(root, "--no-cache")).summary).toMatchObject({ parsed: 3, reused: 0 });
  });

  it("puts the store where --store says", async () => {
    const root = makeTree(SAMPLE);
    const storeRoot = makeTree({});
    await analyzeJson(root, "--store", join(storeRoot, "cache"));
    expect(existsSync(join(storeRoot, "cache/pyagent.db"))).toBe(true);
    expect(existsSync(join(root, ".pyagent"))).toBe(false);
  });

  it("reads thresholds from [tool.pyagent] and lets flags override them", async () => {
    const root = makeTree({ ...SAMPLE, "pyproject.toml": "[tool.pyagent]\nmax-complexity = 3\nmax-module-lines = 10\n" });
    const report = await analyzeJson(root);
    const rules = report.findings.map((finding: { rule: string; symbol?: string }) => `${finding.rule} ${finding.symbol}`);
    expect(rules).toContain("complexity-hotspot Engine.run");
    expect(rules).toContain("oversized-module pkg.core");
    const relaxed = await analyzeJson(root, "--max-complexity", "30", "--max-module-lines", "100");
    expect(relaxed.findings.filter((finding: { rule: string }) => finding.rule === "complexity-hotspot" || finding.rule === "oversized-module")).toEqual([]);
  });

  it("prints a readable summary with hotspots and finding counts on the terminal", async () => {
    const root = makeTree(SAMPLE);
    const result = await runCli("analyze", root);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("3 files");
    expect(result.stdout).toContain("Engine.run");
    expect(result.stdout).toContain("unused-import");
    expect(result.stdout).toContain("pkg.core -> pkg.helpers -> pkg.core");
  });

  it("writes Markdown and SARIF 2.1.0 reports to --output", async () => {
    const root = makeTree(SAMPLE);
    const out = makeTree({});
    expect((await runCli("analyze", root, "--format", "md", "--output", join(out, "report.md"))).code).toBe(0);
    const markdown = readFileSync(join(out, "report.md"), "utf8");
    expect(markdown).toContain("## Complexity hotspots");
    expect(markdown).toContain("| `Engine.run` | pkg/core.py | 7 | 5 | A |");

    expect((await runCli("analyze", root, "--format", "sarif", "--output", join(out, "report.sarif"))).code).toBe(0);
    const sarif = JSON.parse(readFileSync(join(out, "report.sarif"), "utf8"));
    expect(sarif.version).toBe("2.1.0");
    const run = sarif.runs[0];
    const ruleIds = run.tool.driver.rules.map((rule: { id: string }) => rule.id);
    expect(run.results.length).toBeGreaterThan(3);
    for (const result of run.results) {
      expect(ruleIds[result.ruleIndex]).toBe(result.ruleId);
      expect(["error", "warning", "note"]).toContain(result.level);
      const location = result.locations[0].physicalLocation;
      expect(location.artifactLocation.uriBaseId).toBe("%SRCROOT%");
      expect(location.artifactLocation.uri).not.toMatch(/^\//);
      expect(location.region.startLine).toBeGreaterThanOrEqual(1);
      expect(typeof result.partialFingerprints.primaryLocationLineHash).toBe("string");
    }
  });

  it("exits 1 when --fail-on matches, 0 when it does not", async () => {
    const root = makeTree(SAMPLE);
    const matched = await runCli("analyze", root, "--fail-on", "unused-import");
    expect(matched.code).toBe(1);
    expect(matched.stderr).toContain("pkg/core.py:1: unused-import");
    expect((await runCli("analyze", root, "--fail-on", "complexity>4")).code).toBe(1);
    expect((await runCli("analyze", root, "--fail-on", "complexity>5,unused-property")).code).toBe(0);
  });

  it("rejects a bad --fail-on with one line and exit 2", async () => {
    const result = await runCli("analyze", makeTree(SAMPLE), "--fail-on", "complexity>>3");
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("invalid --fail-on 'complexity>>3'");
  });

  it("rejects an invalid [tool.pyagent] with one line naming the key and exit 2", async () => {
    const result = await runCli("analyze", makeTree({ "a.py": "x = 1\n", "pyproject.toml": "[tool.pyagent]\nmax-complexity = -4\n" }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pyagent: invalid tool\.pyagent\.max-complexity in pyproject\.toml: .*\n$/);
  });
});

describe("pyagent analyze on bad input", () => {
  it("exits 2 with one line for a path that does not exist", async () => {
    const result = await runCli("analyze", "/no/such/folder");
    expect(result).toEqual({ code: 2, stdout: "", stderr: "pyagent: /no/such/folder: no such file or directory\n" });
  });

  it("exits 2 with one line for a path that is a file", async () => {
    const root = makeTree({ "a.py": "x = 1\n" });
    const result = await runCli("analyze", join(root, "a.py"));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a directory/);
  });

  it("exits 2 for an unknown format", async () => {
    const result = await runCli("analyze", ".", "--format", "xml");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("xml");
  });

  it("reports broken files in errors and analyzes the rest", async () => {
    const big = "x = 1\n".repeat(400_000);
    const root = makeTree({
      "good.py": "def ok():\n    return 1\n",
      "syntax.py": "def broken(:\n    pass\n",
      "latin.py": Buffer.concat([Buffer.from("s = '"), Buffer.from([0xe9]), Buffer.from("'\n")]),
      "nul.py": Buffer.from([0x78, 0x3d, 0x31, 0x00, 0x0a]),
      "generated.py": big,
    });
    symlinkSync(root, join(root, "loop"));
    const report = await analyzeJson(root, "--max-file-bytes", "1000000");
    expect(report.files.map((file: { path: string }) => file.path)).toEqual(["good.py"]);
    const errors = Object.fromEntries(report.errors.map((error: { path: string; message: string }) => [error.path, error.message]));
    expect(errors["syntax.py"]).toMatch(/syntax error at line 1/);
    expect(errors["latin.py"]).toMatch(/not valid UTF-8/);
    expect(errors["nul.py"]).toMatch(/NUL bytes/);
    expect(errors["generated.py"]).toMatch(/over max-file-bytes/);
    expect(errors.loop).toMatch(/symlink loop/);
  });

  it("gives the same report with the wasm parser (PYAGENT_PARSER=wasm, or when the native parser is not built or will not load), in threads and in process", () => {
    // 40 modules: more than the in-process limit, so parser threads parse them; the 3 of SAMPLE are parsed in process.
    const many: Record<string, string> = { ...SAMPLE, "broken.py": "def f(:\n    pass\n", "uni.py": "café = '😀'\nif café:\n    print(café)\n" };
    for (let i = 0; i < 40; i++) many[`mods/m${i}.py`] = `import os\n\n\ndef f${i}(x):\n    if x > ${i}:\n        return [y for y in x if y]\n    return os.sep\n`;
    for (const files of [SAMPLE, many]) {
      const root = makeTree(files);
      // The wasm parser asked for, and the fallback when the addon will not load (not an addon at all here).
      const notAnAddon = join(root, "broken.node");
      writeFileSync(notAnAddon, "not a shared object");
      const environments: Record<string, Record<string, string>> = { native: {}, wasm: { PYAGENT_PARSER: "wasm" }, unloadable: { PYAGENT_PARSER_ADDON: notAnAddon } };
      const reports = Object.entries(environments).map(([parser, env]) => {
        const result = runBin(["analyze", root, "--format", "json", "--store", join(root, `.store-${parser}`)], { env });
        expect(result.code, result.stderr).toBe(0);
        const report = JSON.parse(result.stdout);
        delete report.summary.milliseconds;
        return report;
      });
      expect(reports[1]).toEqual(reports[0]);
      expect(reports[2]).toEqual(reports[0]);
      if (files === many) expect(reports[0].errors).toEqual([{ path: "broken.py", message: "syntax error at line 1, column 7: missing )" }]);
    }
  });

  it("skips virtualenvs and .gitignore'd folders by default", async () => {
    const root = makeTree({ "app.py": "x = 1\n", "venv/pyvenv.cfg": "", "venv/lib/x.py": "import os\n", ".gitignore": "out/\n", "out/gen.py": "import os\n" });
    const report = await analyzeJson(root);
    expect(report.files.map((file: { path: string }) => file.path)).toEqual(["app.py"]);
  });

  it("reports a file it may not read and analyzes the rest", () => {
    const root = makeTree({ "ok.py": "def f():\n    return 1\n", "secret.py": "x = 1\n" }, "pyagent-perm-");
    chmodSync(join(root, "secret.py"), 0o000);
    const result = runBin(["analyze", root, "--format", "json"], { honourFileModes: true });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.files.map((file: { path: string }) => file.path)).toEqual(["ok.py"]);
    expect(report.errors).toEqual([{ path: "secret.py", message: "permission denied" }]);
  });
});
