import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { git, makeRepo, pytestPassesAt, PYTHON, removeTempDirs, tempDir } from "./repo.js";

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
  for (let index = 0; index < 6; index++) lines.push("", `def text_helper_${index}(text):`, `    return slugify(text) + '-${index}'`, "");
  return lines.join("\n");
}

const NAMES = ["PI", "Point", "Circle", "unit_circle", "slugify", "titleize", "label", "text_helper_0", "text_helper_5"];

afterAll(removeTempDirs);

describe("split-module through the fleet", () => {
  it("splits an oversized module into a package, and `from pkg.shapes import X` still works for every X", async () => {
    const root = makeRepo({
      "pyproject.toml": "[tool.pyagent]\nmax-module-lines = 60\n",
      "pkg/__init__.py": "",
      "pkg/shapes.py": shapes(),
      "pkg/app.py": "from pkg.shapes import Circle, Point, label\n\n\ndef describe():\n    return label(Circle(Point(0, 0), 2))\n",
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
    expect(report.tasks[0]).toMatchObject({ state: "committed", agent: "split-module" });
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
  });
});
