/**
 * False positives found on real projects (issue 11: sqlparse, boltons, more-itertools, click),
 * each as a fixture shaped like the code that produced it.
 */
import { describe, expect, it } from "vitest";
import type { Finding } from "../types.js";
import { extractFacts } from "./facts.js";
import { localFindings } from "./local.js";
import { attributeReexportedImports, frameReadPaths, lowerFrameReadLocals, projectFindings } from "./project.js";
import { parserFixture } from "./test-support.js";

const { parse, project } = parserFixture();

function local(path: string, source: string): Finding[] {
  const root = parse(source).rootNode;
  return localFindings(root, source, path, extractFacts(root, source), { isPackageInit: path.endsWith("__init__.py") });
}

function brief(findings: Finding[]): string[] {
  return findings.map((finding) => `${finding.rule} ${finding.symbol} ${finding.confidence}`);
}

function unusedDefinitions(files: Record<string, string>): string[] {
  return brief(projectFindings(project(files), { minConfidence: 0 }));
}

describe("getattr dispatch by name prefix", () => {
  it("keeps methods reached through getattr(self, f'_process_{...}'.lower()) (sqlparse's filters)", () => {
    const source = [
      "class ReindentFilter:",
      "    def _process(self, tlist):",
      "        func_name = f'_process_{type(tlist).__name__}'",
      "        func = getattr(self, func_name.lower(), self._process_default)",
      "        func(tlist)",
      "    def _process_where(self, tlist):",
      "        pass",
      "    def _process_parenthesis(self, tlist):",
      "        pass",
      "    def _process_default(self, tlist):",
      "        pass",
      "    def process(self, stmt):",
      "        self._process(stmt)",
      "    def orphan(self):",
      "        pass",
      "",
      "ReindentFilter().process(None)",
    ].join("\n");
    expect(unusedDefinitions({ "sqlparse/filters/reindent.py": source })).toEqual(["unused-method ReindentFilter.orphan 60"]);
  });

  it("keeps functions reached through getattr(module, 'handle_' + name) and '%s' or .format prefixes", () => {
    const source = [
      "import sys",
      "def handle_get():",
      "    pass",
      "def run_put():",
      "    pass",
      "def cmd_stop():",
      "    pass",
      "def unrelated():",
      "    pass",
      "def dispatch(name):",
      "    getattr(sys.modules[__name__], 'handle_' + name)()",
      "    getattr(sys.modules[__name__], 'run_%s' % name)()",
      "    getattr(sys.modules[__name__], 'cmd_{}'.format(name))()",
      "dispatch('get')",
    ].join("\n");
    expect(unusedDefinitions({ "app/handlers.py": source })).toEqual(["unused-function unrelated 60"]);
  });

  it("keeps functions reached through globals()['_do_' + action] (boltons' benchmark script)", () => {
    const source = [
      "def _do_setitem(target):",
      "    pass",
      "def _do_pop(target):",
      "    pass",
      "def _unused_helper():",
      "    pass",
      "def run(action, target):",
      "    return globals()['_do_' + action](target)",
      "run('pop', {})",
    ].join("\n");
    expect(unusedDefinitions({ "misc/bench_omd.py": source })).toEqual(["unused-function _unused_helper 60"]);
  });
});

describe("test conventions", () => {
  it("never reports a TestCase subclass whose name lacks 'Test', nor its test, setUp and tearDown methods", () => {
    const files = {
      "tests/test_recipes.py": [
        "from unittest import TestCase",
        "class Convolvetests(TestCase):",
        "    def setUpFixtures(self):",
        "        pass",
        "    def tearDownFixtures(self):",
        "        pass",
        "    def test_moving_average(self):",
        "        pass",
        "    def helper_nobody_calls(self):",
        "        pass",
      ].join("\n"),
    };
    expect(unusedDefinitions(files)).toEqual(["unused-method Convolvetests.helper_nobody_calls 60"]);
  });

  it("never reports a subclass of a project TestCase base, in or out of a test file", () => {
    const files = {
      "pkg/testing.py": "import unittest\nclass BaseCase(unittest.TestCase):\n    def setUp(self):\n        pass\n",
      "checks/integration.py": "from pkg.testing import BaseCase\nclass Integration(BaseCase):\n    def testRoundTrip(self):\n        pass\n    def setUpDatabase(self):\n        pass\n",
    };
    expect(unusedDefinitions(files)).toEqual([]);
  });

  it("never reports pytest hooks in conftest.py, fixtures, and test* functions and Test* classes of test files", () => {
    const files = {
      "tests/conftest.py": "import pytest\ndef pytest_collection_modifyitems(items):\n    pass\n@pytest.fixture\ndef filepath():\n    return 'x'\n",
      "tests/test_parse.py": "def testSimple():\n    pass\ndef test_other():\n    pass\nclass TestGrouping:\n    def test_group(self):\n        pass\n",
      "pkg/util.py": "def test_helper_in_library():\n    pass\n",
    };
    expect(unusedDefinitions(files)).toEqual(["unused-function test_helper_in_library 60"]);
  });
});

describe("locals read through frames", () => {
  it("reports nothing in a function that calls locals(), vars(), sys._getframe or inspect.currentframe", () => {
    const source = [
      "import inspect, sys",
      "def a():",
      "    name = 'x'",
      "    return '{name}'.format(**locals())",
      "def b():",
      "    name = 'x'",
      "    return vars()",
      "def c():",
      "    name = 'x'",
      "    return sys._getframe().f_locals",
      "def d():",
      "    name = 'x'",
      "    return inspect.currentframe()",
      "def e():",
      "    name = 'x'",
    ].join("\n");
    expect(brief(local("pkg/frames.py", source))).toEqual(["unused-variable name 100"]);
  });

  it("lowers unused locals of modules that import a module reading f_locals (boltons' tbutils tests)", () => {
    const files = {
      "boltons/tbutils.py": [
        "import sys",
        "class ContextualCallpoint:",
        "    @classmethod",
        "    def from_current(cls, level=1):",
        "        frame = sys._getframe(level)",
        "        return dict(frame.f_locals)",
      ].join("\n"),
      "tests/test_tbutils.py": [
        "from boltons.tbutils import ContextualCallpoint",
        "def test_contextual():",
        "    def func2():",
        "        x = 5",
        "        return ContextualCallpoint.from_current(level=2)",
        "    assert func2()",
      ].join("\n"),
      "tests/test_other.py": "def test_plain():\n    unused = 1 + 1\n",
    };
    const modules = project(files);
    const paths = frameReadPaths(modules);
    expect(paths.sort()).toEqual(["boltons/tbutils.py", "tests/test_tbutils.py"]);
    const findings = [...local("tests/test_tbutils.py", files["tests/test_tbutils.py"]), ...local("tests/test_other.py", files["tests/test_other.py"])];
    expect(brief(lowerFrameReadLocals(findings, new Set(paths)))).toEqual(["unused-variable x 50", "unused-variable unused 100"]);
  });
});

describe("keep-alive assignments in tests", () => {
  const gcTest = [
    "import gc",
    "def test_get_all():",
    "    class TestType:",
    "        pass",
    "    tt = TestType()",
    "    big = [{} for _ in range(10)]",
    "    _ = object()",
    "    ref = object()",
    "    del ref",
    "    results = []",
    "    flag = 1 < 2",
    "    assert gc.collect() >= 0",
  ].join("\n");

  it("reports object constructions kept in an unread name in a test at confidence 50, other unused locals at 100", () => {
    expect(brief(local("tests/test_gcutils.py", gcTest))).toEqual([
      "unused-variable tt 50",
      "unused-variable big 50",
      "unused-variable results 100",
      "unused-variable flag 100",
    ]);
  });

  it("keeps confidence 100 for the same code outside test files", () => {
    expect(brief(local("pkg/gcwork.py", gcTest.replace("def test_get_all", "def collect_all")))).toEqual([
      "unused-variable tt 100",
      "unused-variable big 100",
      "unused-variable results 100",
      "unused-variable flag 100",
    ]);
  });
});

describe("references held on purpose", () => {
  it("reports a local taken out of a container (functools' lru_cache, _threading_local) at confidence 50", () => {
    const source = [
      "def evict(root, cache, dicts, key):",
      "    oldresult = root[1]",
      "    root[1] = None",
      "    dct = dicts.pop(key)",
      "    count = len(cache)",
      "    del cache[key]",
    ].join("\n");
    expect(brief(local("functools.py", source))).toEqual(["unused-variable oldresult 50", "unused-variable dct 50", "unused-variable count 100"]);
  });

  it("reports an annotated local in a test file at confidence 50 (annotation test data)", () => {
    const source = "def foo(x: int = 10):\n    def bar(y):\n        x: str = 'yes'\n    bar(1)\n";
    expect(brief(local("test/ann_module.py", source))).toEqual(["unused-variable x 50"]);
    expect(brief(local("pkg/ann.py", source))).toEqual(["unused-variable x 100"]);
  });
});

describe("names used by doctests", () => {
  it("keeps an import and a definition that only a docstring's >>> example uses", () => {
    const source = [
      '"""Ordered multidicts.',
      "",
      "    >>> omd = OMD([('a', 1)])",
      "    >>> omd.getlist('a')",
      "    [1]",
      "    >>> from_items(itertools.chain([]))",
      '"""',
      "import itertools",
      "import codecs",
      "class OMD(dict):",
      "    def getlist(self, key):",
      "        return [self[key]]",
      "def from_items(items):",
      "    return OMD(items)",
    ].join("\n");
    expect(brief(local("boltons/dictutils.py", source))).toEqual(["unused-import codecs 90"]);
    expect(unusedDefinitions({ "boltons/dictutils.py": source })).toEqual([]);
  });

  it("does not count names that appear only in a doctest's expected output", () => {
    const source = ['def f():', '    """', "    >>> f()", "    orphan", '    """', "    return 1", "def orphan():", "    pass"].join("\n");
    expect(unusedDefinitions({ "m.py": source })).toEqual(["unused-function orphan 60"]);
  });
});

describe("conditional imports and re-exports", () => {
  it("does not report try/except ImportError imports, nor TYPE_CHECKING imports used only in annotations or strings", () => {
    const source = [
      "from typing import TYPE_CHECKING",
      "try:",
      "    import ujson",
      "except ImportError:",
      "    ujson = None",
      "if TYPE_CHECKING:",
      "    from collections import OrderedDict",
      "    from decimal import Decimal",
      "    from fractions import Fraction",
      "def load(value: 'OrderedDict[str, int]') -> Decimal:",
      "    return value",
    ].join("\n");
    expect(brief(local("pkg/loader.py", source))).toEqual(["unused-import Fraction 90"]);
  });

  it("does not report names re-exported by __all__ or by a package __init__.py", () => {
    expect(local("pkg/api.py", "from pkg.core import run, stop\n__all__ = ['run', 'stop']\n")).toEqual([]);
    expect(local("pkg/__init__.py", "from pkg.core import run\nfrom pkg.util import helper as helper\n")).toEqual([]);
  });
});

describe("imports used in ways no name read shows", () => {
  it("finds unused imports that importers read as an attribute of the module (multiprocessing.util)", () => {
    const files = {
      "multiprocessing/__init__.py": "",
      "multiprocessing/util.py": "import os\nimport re\nfrom subprocess import _args_from_interpreter_flags\ndef sep():\n    return os.sep\n",
      "multiprocessing/spawn.py": "from . import util\ndef command():\n    return util._args_from_interpreter_flags()\n",
    };
    const findings = [
      ...local("multiprocessing/util.py", files["multiprocessing/util.py"]),
      ...local("multiprocessing/spawn.py", files["multiprocessing/spawn.py"]),
    ];
    expect(brief(findings)).toEqual(["unused-import re 90", "unused-import _args_from_interpreter_flags 90"]);
    expect(attributeReexportedImports(findings, project(files))).toEqual(["multiprocessing/util.py\u0000_args_from_interpreter_flags"]);
  });

  it("does not report the imports of a function made only of imports (imported for their side effects)", () => {
    const source = [
      "def allow_connection_pickling():",
      '    """Install support for sending connections."""',
      "    # its only effect is registering reducers",
      "    from . import connection",
      "def other():",
      "    from . import reduction",
      "    return 1",
    ].join("\n");
    expect(brief(local("multiprocessing/context.py", source))).toEqual(["unused-import reduction 90"]);
  });

  it("reports imports of a module wrapping its namesake (distutils/sysconfig.py from sysconfig) at confidence 50", () => {
    const source = "import os\nfrom sysconfig import (\n    _PREFIX as PREFIX,\n    get_makefile_filename,\n)\ndef parse_makefile(path):\n    return path\n";
    expect(brief(local("distutils/sysconfig.py", source))).toEqual(["unused-import os 90", "unused-import PREFIX 50", "unused-import get_makefile_filename 50"]);
    expect(brief(local("distutils/util.py", source))).toEqual(["unused-import os 90", "unused-import PREFIX 90", "unused-import get_makefile_filename 90"]);
  });

  it("reports an import whose module name a string in the file spells at confidence 50 (a test that checks sys.modules)", () => {
    const source = [
      "import sys",
      "import json",
      "def test_unload():",
      "    import sched",
      "    assert 'sched' in sys.modules",
    ].join("\n");
    expect(brief(local("test/test_support.py", source))).toEqual(["unused-import json 90", "unused-import sched 50"]);
  });
});

describe("unreachable code that keeps a function a generator", () => {
  it("reports a yield after raise at confidence 40 when it is the function's only yield (click's tests)", () => {
    const source = [
      "def _test_gen_func_fails():",
      "    raise RuntimeError('This is a test.')",
      "    yield  # unreachable, keeps this a generator function",
      "def gen():",
      "    yield 0",
      "    raise RuntimeError",
      "    yield from range(1)",
      "def plain():",
      "    return 1",
      "    print('never')",
    ].join("\n");
    expect(brief(local("tests/test_echo.py", source))).toEqual(["unreachable-code raise 40", "unreachable-code raise 100", "unreachable-code return 100"]);
    expect(local("tests/test_echo.py", source)[0]?.message).toBe("unreachable code after 'raise' (it keeps the function a generator)");
  });
});
