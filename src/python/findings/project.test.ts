import { describe, expect, it } from "vitest";
import { localFindings } from "./local.js";
import { dropReexportedImports, isTestFile, projectFindings } from "./project.js";
import { parserFixture } from "./test-support.js";

const { parse, project } = parserFixture();


function unused(files: Record<string, string>, minConfidence = 0): string[] {
  return projectFindings(project(files), { minConfidence }).map((finding) => `${finding.rule} ${finding.symbol} ${finding.confidence}`);
}

describe("projectFindings", () => {
  it("reports definitions whose simple name is used nowhere in the project, with vulture's 60", () => {
    const files = {
      "app/core.py": "class Engine:\n    def start(self):\n        pass\n    def stop(self):\n        pass\ndef orphan():\n    pass\n",
      "app/main.py": "from app.core import Engine\nEngine().start()\n",
    };
    expect(unused(files)).toEqual(["unused-method Engine.stop 60", "unused-function orphan 60"]);
    const [finding] = projectFindings(project(files), { minConfidence: 0 });
    expect(finding).toMatchObject({ path: "app/core.py", line: 4, endLine: 5, message: "unused method 'stop'" });
  });

  it("counts a from-import under an alias as a use of the imported definition", () => {
    const files = { "util.py": "def make_assert():\n    pass\n", "ssl.py": "from util import make_assert as _make_assert\n_make_assert()\n" };
    expect(unused(files)).toEqual([]);
  });

  it("reports unused classes, properties and attributes", () => {
    const files = {
      "m.py": "class Box:\n    def __init__(self):\n        self.width = 1\n        self.used = 2\n    @property\n    def area(self):\n        return 0\n\nclass Spare:\n    pass\n\nprint(Box().used)\n",
    };
    expect(unused(files)).toEqual(["unused-attribute Box.width 60", "unused-property Box.area 60", "unused-class Spare 60"]);
  });

  it("whitelists dunders, __all__ names, registering decorators and main guarded calls", () => {
    const files = {
      "m.py": [
        "__all__ = ['api']",
        "def api():",
        "    pass",
        "@app.get('/health')",
        "def health():",
        "    pass",
        "class C:",
        "    def __repr__(self):",
        "        return '<C>'",
        "def main():",
        "    pass",
        "if __name__ == '__main__':",
        "    main()",
      ].join("\n"),
    };
    expect(unused(files)).toEqual(["unused-class C 60"]);
  });

  it("skips test functions and test classes in test files only; unittest/pytest module hooks everywhere", () => {
    const test = "def test_ok():\n    pass\ndef setup_module():\n    pass\nclass TestThing:\n    def test_more(self):\n        pass\n";
    expect(unused({ "tests/test_thing.py": test })).toEqual([]);
    expect(unused({ "lib/thing.py": test })).toEqual([
      "unused-function test_ok 60",
      "unused-class TestThing 60",
      "unused-method TestThing.test_more 60",
    ]);
    expect(isTestFile("pkg/tests/helpers.py")).toBe(true);
    expect(isTestFile("pkg/thing_test.py")).toBe(true);
    expect(isTestFile("pkg/contest.py")).toBe(false);
  });

  it("lowers members of classes with a base outside the project below the default bar", () => {
    const files = { "m.py": "import somelib\nclass Handler(somelib.Base):\n    def on_event(self):\n        pass\nHandler()\n" };
    expect(unused(files)).toEqual(["unused-method Handler.on_event 40"]);
    expect(unused(files, 60)).toEqual([]);
    const django = { "m.py": "from django.db import models\nclass Book(models.Model):\n    class Meta:\n        ordering = ['title']\nBook()\n" };
    expect(unused(django)).toEqual(["unused-class Book.Meta 40", "unused-attribute Book.Meta.ordering 40"]);
  });

  it("treats methods named like a known framework base's hooks as overrides", () => {
    const files = {
      "m.py": "import ast, threading\nclass V(ast.NodeVisitor):\n    def visit_Name(self, node):\n        pass\nclass W(threading.Thread):\n    def run(self):\n        pass\n    def extra(self):\n        pass\nV(); W()\n",
    };
    expect(unused(files)).toEqual(["unused-method W.extra 60"]);
  });

  it("follows dispatch prefixes to subclasses in other modules, but not to unrelated classes", () => {
    const files = {
      "shell.py": "class Shell:\n    def onecmd(self, name):\n        return getattr(self, 'do_' + name)()\n",
      "app.py": "from shell import Shell\nclass App(Shell):\n    def do_quit(self):\n        pass\nclass Other:\n    def do_nothing(self):\n        pass\nApp().onecmd('quit'); Other()\n",
    };
    expect(unused(files)).toEqual(["unused-method Other.do_nothing 60"]);
  });

  it("lowers duck-typed protocol methods and keeps pytest hooks", () => {
    const files = { "conftest.py": "def pytest_addoption(parser):\n    pass\n", "io_like.py": "class Sink:\n    def write(self, data):\n        pass\n    def fileno(self):\n        return 1\nSink()\n" };
    expect(unused(files)).toEqual(["unused-method Sink.write 40", "unused-method Sink.fileno 40"]);
  });

  it("lowers definitions whose name appears only in a string literal (dynamic lookup)", () => {
    const files = { "m.py": "class Plugin:\n    pass\nREGISTRY = ['Plugin']\n" };
    expect(unused(files)).toEqual(["unused-class Plugin 40"]);
    const setup = { "pkg/cli.py": "def main():\n    pass\n", "setup.py": "setup(entry_points={'console_scripts': ['tool=pkg.cli:main']})\n" };
    expect(unused(setup)).toEqual(["unused-function main 40"]);
  });
});

describe("dropReexportedImports", () => {
  it("drops an unused import that another module imports from this one", () => {
    const sources = { "pkg/api.py": "from pkg.impl import Engine, Helper\n", "app.py": "from pkg.api import Engine\nEngine()\n" };
    const modules = project(sources);
    const local = modules.flatMap((module, index) => {
      const source = Object.values(sources)[index] as string;
      return localFindings(parse(source).rootNode, source, module.path, module.facts, { isPackageInit: false });
    });
    expect(local.map((finding) => finding.symbol)).toEqual(["Engine", "Helper"]);
    expect(dropReexportedImports(local, modules).map((finding) => finding.symbol)).toEqual(["Helper"]);
  });
});
