/**
 * Python conventions that make a definition or an import used without a visible reference:
 * decorators that register what they wrap, unittest hooks, modules imported for their side
 * effects, dunder and sunder names.
 */
import type { AnalysisNode } from "../parse/flat-node.js";
import { typeOf, typeOfMaybe } from "./nodes.js";

/** Decorators that return the function (or a descriptor of it) without registering it anywhere. */
const TRANSPARENT_DECORATORS = new Set([
  "staticmethod",
  "classmethod",
  "abstractmethod",
  "abc.abstractmethod",
  "abstractclassmethod",
  "abc.abstractclassmethod",
  "abstractstaticmethod",
  "abc.abstractstaticmethod",
  "wraps",
  "functools.wraps",
  "cache",
  "functools.cache",
  "lru_cache",
  "functools.lru_cache",
  "contextmanager",
  "contextlib.contextmanager",
  "asynccontextmanager",
  "contextlib.asynccontextmanager",
  "dataclass",
  "dataclasses.dataclass",
  "final",
  "typing.final",
  "override",
  "typing.override",
  "typing_extensions.override",
  "total_ordering",
  "functools.total_ordering",
  "coroutine",
  "asyncio.coroutine",
  "types.coroutine",
]);

const PROPERTY_DECORATORS = new Set([
  "property",
  "cached_property",
  "functools.cached_property",
  "abstractproperty",
  "abc.abstractproperty",
  "types.DynamicClassAttribute",
  "DynamicClassAttribute",
]);

const OVERLOAD_DECORATORS = new Set(["overload", "typing.overload", "typing_extensions.overload"]);

/** unittest calls these by name on TestCase subclasses. */
export const UNITTEST_METHOD_HOOKS = new Set([
  "setUp",
  "tearDown",
  "setUpClass",
  "tearDownClass",
  "asyncSetUp",
  "asyncTearDown",
  "run",
  "debug",
  "shortDescription",
  "id",
]);

/** unittest and pytest call these module-level functions by name (and every `pytest_*` hook). */
export const MODULE_HOOKS = new Set([
  "setUpModule",
  "tearDownModule",
  "setup_module",
  "teardown_module",
  "setup_function",
  "teardown_function",
  "load_tests",
  "pytest_configure",
]);

/** pytest calls these methods by name in test classes. */
export const PYTEST_METHOD_NAMES = new Set(["setup_class", "teardown_class", "setup_method", "teardown_method"]);

/**
 * Modules imported for what importing them does (line editing, tab completion, site hooks). An
 * unused `import readline` is the point of the line, so it is never reported.
 */
const SIDE_EFFECT_MODULES = new Set([
  "readline",
  "rlcompleter",
  "antigravity",
  "this",
  "__hello__",
  "__phello__",
  "sitecustomize",
  "usercustomize",
]);

export function isSideEffectModule(module: string): boolean {
  return SIDE_EFFECT_MODULES.has(module);
}

/** `__x__`: special names the interpreter calls. */
export function isDunder(name: string): boolean {
  return name.length > 4 && name.startsWith("__") && name.endsWith("__");
}

/** `_x_`: Enum's hooks (`_missing_`, `_generate_next_value_`). */
export function isSunder(name: string): boolean {
  return name.length > 2 && name.startsWith("_") && name.endsWith("_") && !name.startsWith("__") && !name.endsWith("__");
}

/** The decorator's expression without `@` and without call arguments: `app.route`, `property`. */
export function decoratorName(decorator: AnalysisNode): string {
  let expression = decorator.namedChildren.find((child) => typeOfMaybe(child) !== "comment") ?? decorator;
  if (typeOf(expression) === "call") expression = expression.childForFieldName("function") ?? expression;
  return expression.text;
}

export interface DecoratorSummary {
  property: boolean;
  /** `@x.setter`, `@x.getter`, `@x.deleter`: part of an existing property, not a definition. */
  accessor: boolean;
  overload: boolean;
  staticmethod: boolean;
  /** Some decorator may register the function (a route, a fixture, a signal handler). */
  registers: boolean;
}

export function summarizeDecorators(names: readonly string[]): DecoratorSummary {
  const summary: DecoratorSummary = { property: false, accessor: false, overload: false, staticmethod: false, registers: false };
  for (const name of names) {
    if (PROPERTY_DECORATORS.has(name)) summary.property = true;
    else if (/\.(setter|getter|deleter)$/.test(name)) summary.accessor = true;
    else if (OVERLOAD_DECORATORS.has(name)) summary.overload = true;
    else if (name === "staticmethod") summary.staticmethod = true;
    else if (!TRANSPARENT_DECORATORS.has(name)) summary.registers = true;
  }
  return summary;
}

/** vulture's test-file patterns: a `test` or `tests` folder, `test*.py`, `*_test.py`, `*-test.py`, `conftest.py`. */
export function isTestFile(path: string): boolean {
  const normalized = `/${path.toLowerCase()}`;
  return /\/tests?\//.test(normalized) || /\/(test[^/]*|conftest)\.py$/.test(normalized) || /[-_]test\.py$/.test(normalized);
}

/** A base class written like unittest's (`TestCase`, `unittest.IsolatedAsyncioTestCase`, `MyTestCase`). */
export function looksLikeTestCase(base: string): boolean {
  return /TestCase$/.test(base);
}

/** A base class written like an enum (`Enum`, `enum.IntFlag`, `_IntEnum`, `StrEnum`). */
export function looksLikeEnum(base: string): boolean {
  return /(Enum|Flag)$/.test(base);
}

/**
 * Method names of duck-typed protocols that library code calls on objects handed to it (file-like
 * objects, mappings, iterators, JSON encoders): a method with such a name may be used without any
 * call in the project.
 */
export const PROTOCOL_METHODS = new Set([
  "read",
  "readline",
  "readlines",
  "readinto",
  "write",
  "writelines",
  "flush",
  "close",
  "fileno",
  "seek",
  "tell",
  "isatty",
  "readable",
  "writable",
  "seekable",
  "keys",
  "items",
  "values",
  "get",
  "next",
  "send",
  "throw",
]);
