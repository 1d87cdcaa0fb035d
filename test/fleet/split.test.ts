import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { moduleSplitCheck } from "../../src/fleet/import-checks.js";
import { git, makeRepo, pytestPassesAt, PYTHON, removeTempDirs, showFile, tempDir, writeFiles } from "./repo.js";

/** Two cohesive groups (geometry, text) in one module over the project's 60-line limit. */
function shapes(): string {
  const lines = ['"""Shapes and labels."""', "import math", "", "PI = math.pi", ""];
  lines.push("", "class Point:", "    def __init__(self, x, y):", "        self.x = x", "        self.y = y", "", "    def distance(self, other):", "        return math.hypot(self.x - other.x, self.y - other.y)", "");
  lines.push("", "class Circle:", "    def __init__(self, center, radius):", "        self.center = center", "        self.radius = radius", "", "    def area(self):", "        return PI * self.radius ** 2", "", "    def contains(self, point):", "        return self.center.distance(point) <= self.radius", "");
  lines.push("", "def unit_circle():", "    return Circle(Point(0, 0), 1)", "");
  lines.push("", "def slugify(text):", "    return '-'.join(_words(text))", "");
  lines.push("", "def titleize(text):", "    return ' '.join(word.capitalize() for word in _words(text))", "");
  lines.push("", "def _words(text):", "    # split on anything that is not a letter or digit", "    return [word.lower() for word in ''.join(c if c.isalnum() else ' ' for c in text).split()]", "");
  lines.push("", "def label(circle):", "    return titleize(f'circle of radius {circle.radius}')", "");
  for (let index = 0; index < 10; index++) lines.push("", `def text_helper_${index}(text):`, `    return slugify(text) + '-${index}'`, "");
  return lines.join("\n");
}

const NAMES = ["PI", "Point", "Circle", "unit_circle", "slugify", "titleize", "label", "text_helper_0", "text_helper_5", "_words", "math"];

afterAll(removeTempDirs);

describe("split-module through the fleet", () => {
  it("splits an oversized module into a package, and `from pkg.shapes import X` still works for every X", async () => {
    const root = makeRepo({
      "pyproject.toml": "[tool.pyagent]\nmax-module-lines = 60\n",
      "pkg/__init__.py": "",
      "pkg/shapes.py": shapes(),
      "pkg/app.py": "from pkg.shapes import Circle, Point, label\n\n\ndef describe():\n    return label(Circle(Point(0, 0), 2))\n",
      // A test module over the limit: never split (pytest would not collect the parts).
      "tests/test_big.py": Array.from({ length: 80 }, (_, index) => `\n\ndef test_number_${index}():\n    assert ${index} == ${index}\n`).join(""),
      // Just over the limit (less than 1.2 times): not worth a package.
      "pkg/small.py": Array.from({ length: 16 }, (_, index) => `\n\ndef small_${index}():\n    return ${index}\n`).join(""),
      "tests/test_shapes.py": [
        "from pkg.shapes import PI, Circle, Point, slugify, titleize, unit_circle",
        "from pkg import app",
        "",
        "",
        "def test_geometry():",
        "    assert unit_circle().contains(Point(0.5, 0.5))",
        "    assert abs(Circle(Point(0, 0), 1).area() - PI) < 1e-9",
        "",
        "",
        "def test_text():",
        "    assert slugify('Hello, World') == 'hello-world'",
        "    assert titleize('a b') == 'A B'",
        "    assert app.describe() == 'Circle Of Radius 2'",
        "",
      ].join("\n"),
    });
    const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, "--agents", "split-module");
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.tasks).toHaveLength(1);
    expect(report.tasks[0], report.tasks[0].reason).toMatchObject({ state: "committed", agent: "split-module", files: expect.arrayContaining(["pkg/shapes.py"]) });
    expect(report.tasks[0].title).toMatch(/^pkg\.shapes: split into \d modules \(.+\)$/);
    const proof = report.tasks[0].checks.find((check: { check: string }) => check.check === "import");
    expect(proof.summary).toMatch(/^pkg\.shapes [\d.]+ -> [\d.]+ ms \(medians of 9 interleaved runs\), \d+ names kept$/);
    const branch = `pyagent/${report.id}`;
    const files = git(root, "ls-tree", "-r", "--name-only", branch, "pkg").split("\n");
    expect(files).not.toContain("pkg/shapes.py");
    expect(files).toContain("pkg/shapes/__init__.py");
    expect(files.filter((file) => file.startsWith("pkg/shapes/")).length).toBeGreaterThan(2);
    expect(pytestPassesAt(root, branch).passed).toBe(true);

    const scratch = tempDir("pyagent-split-");
    execFileSync("sh", ["-c", 'git archive "$1" | tar -x -C "$2"', "sh", branch, scratch], { cwd: root });
    for (const name of NAMES) {
      const check = spawnSync(PYTHON, ["-c", `from pkg.shapes import ${name}; print(${name})`], { cwd: scratch, encoding: "utf8" });
      expect(check.status, `from pkg.shapes import ${name}: ${check.stderr}`).toBe(0);
    }
    const pickled = spawnSync(
      PYTHON,
      ["-c", "import pickle\nfrom pkg.shapes import Circle, Point, label\nc = pickle.loads(pickle.dumps(Circle(Point(0, 0), 3)))\nprint(Circle.__module__, label.__module__, type(c).__name__, c.radius)"],
      { cwd: scratch, encoding: "utf8" },
    );
    expect(pickled.stdout.trim(), pickled.stderr).toBe("pkg.shapes pkg.shapes Circle 3");
    // Each part is named after a class or function it holds.
    for (const file of files.filter((path) => /^pkg\/shapes\/(?!__)\w+\.py$/.test(path))) {
      const stem = file.replace(/^pkg\/shapes\/_?|\.py$/g, "");
      expect(showFile(root, branch, file)).toMatch(new RegExp(`^(def|class) ${stem.replace(/_(\w)/g, (_match, letter: string) => `_?${letter}`)}\\b`, "im"));
    }
  });
});

describe("the split proof (moduleSplitCheck)", () => {
  const MODULE = "import codecs\n\n_UNSET = object()\n\n\nclass Thing:\n    def __init__(self, value=_UNSET):\n        self.value = value\n\n\ndef decode(data):\n    return codecs.decode(data, 'utf-8')\n";
  const environment = () => ({ python: PYTHON, timeoutMs: 60_000, pycacheDir: tempDir("pyagent-pycache-") });
  const treeOf = (files: Record<string, string>) => {
    const root = tempDir("pyagent-split-proof-");
    writeFiles(root, files);
    return root;
  };

  it("fails a split that drops private and imported names or moves a class's __module__", async () => {
    const before = treeOf({ "m.py": MODULE });
    const careless = treeOf({
      "m/__init__.py": "from .thing import Thing, decode\n",
      "m/thing.py": MODULE,
    });
    const check = await moduleSplitCheck(before, careless, "m", environment());
    expect(check.status).toBe("fail");
    expect(check.failures).toEqual(expect.arrayContaining(["m._UNSET is gone", "m.codecs is gone", "m.Thing.__module__ is now m.thing", "m.decode.__module__ is now m.thing"]));
  });

  it("passes a split that keeps every name, __module__ and pickle, and fails one that slows the import", async () => {
    const before = treeOf({ "m.py": MODULE });
    const kept = treeOf({
      "m/__init__.py": "import codecs\n\nfrom ._thing import _UNSET, Thing, decode\n\nfor _moved in (Thing, decode):\n    _moved.__module__ = __name__\ndel _moved\n",
      "m/_thing.py": MODULE,
    });
    const check = await moduleSplitCheck(before, kept, "m", environment());
    expect(check.status, check.output).toBe("pass");
    const slow = treeOf({ "m/__init__.py": "import asyncio\nimport codecs\n\nfrom ._thing import _UNSET, Thing, decode\n\nfor _moved in (Thing, decode):\n    _moved.__module__ = __name__\ndel _moved\n", "m/_thing.py": MODULE });
    const slower = await moduleSplitCheck(before, slow, "m", environment());
    expect(slower.failures).toEqual(["import time of m worse"]);
  });
});
