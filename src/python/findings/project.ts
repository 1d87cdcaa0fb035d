/**
 * Project-wide unused code, vulture's whole-program rule: a definition is unused when its simple
 * name is used nowhere in the project (as a name, an attribute, a keyword argument, a string that
 * spells an identifier, `__all__`, getattr). Conventions that call code by name are whitelisted.
 */
import type { DefinitionFact, Finding, FindingRule } from "../types.js";
import { isNeutralBase, knownBaseOverrides } from "./known-bases.js";
import { isTestFile, looksLikeTestCase, PROTOCOL_METHODS, PYTEST_METHOD_NAMES } from "./conventions.js";
import { absoluteBase, longestKnownPrefix, resolveImport, type ProjectModule } from "./imports.js";

/** vulture's confidence for unused functions, classes, methods, attributes and properties. */
export const DEFAULT_CONFIDENCE = 60;
/**
 * Members of a class with a base outside the project (a framework class) may be overrides that
 * the framework calls by name (`do_GET`, `run`, `emit`): reported, but below the default bar.
 */
export const EXTERNAL_BASE_CONFIDENCE = 40;
/** A method named like a duck-typed protocol's (`read`, `keys`, `fileno`): library code may call it. */
export const PROTOCOL_METHOD_CONFIDENCE = 40;
/**
 * An unused local in a module that reads other frames' locals (`frame.f_locals`), or that imports
 * a project module that does (`tbutils.ContextualCallpoint.from_current()` shows its caller's
 * locals): the value may be read through the frame.
 */
export const FRAME_READ_CONFIDENCE = 50;
/** A name that appears only inside string literals may be looked up dynamically (registries, mock.patch). */
export const STRING_REFERENCE_CONFIDENCE = 40;

const RULES: Partial<Record<DefinitionFact["kind"], FindingRule>> = {
  function: "unused-function",
  class: "unused-class",
  method: "unused-method",
  attribute: "unused-attribute",
  property: "unused-property",
};

const PYTEST_FUNCTION_NAMES = new Set(["setup_module", "teardown_module", "setup_function", "teardown_function"]);

export { isTestFile };

function simpleName(qualName: string): string {
  const dot = qualName.lastIndexOf(".");
  return dot === -1 ? qualName : qualName.slice(dot + 1);
}

function ownerName(qualName: string): string {
  const dot = qualName.lastIndexOf(".");
  return dot === -1 ? "" : qualName.slice(0, dot);
}

interface ClassInfo {
  bases: string[];
  /** Dispatch prefixes and suffixes found in the class's module (`getattr(self, "do_" + name)`). */
  modulePrefixes: readonly string[];
  moduleSuffixes: readonly string[];
  /** The class this one is nested in: a framework reads nested config classes (`Meta`) by name. */
  enclosing: ClassInfo | undefined;
}

interface Ancestry {
  /** Some ancestor is neither project code, a neutral base, nor a known builtin. */
  external: boolean;
  /**
   * Method names and name prefixes that the class's own module, its ancestors' modules or known
   * outside ancestors call by name: members matching them are used.
   */
  overrides: Set<string>;
  overridePrefixes: Set<string>;
  overrideSuffixes: Set<string>;
  /** Some ancestor is a unittest TestCase: the test runner finds the class and calls its tests. */
  testCase: boolean;
}

export function projectFindings(modules: ProjectModule[], options: { minConfidence: number }): Finding[] {
  const used = new Set<string>();
  const inStrings = new Set<string>();
  const classesBySimpleName = new Map<string, ClassInfo[]>();
  const classByKey = new Map<string, ClassInfo>();
  for (const module of modules) {
    for (const name of module.facts.usedNames) used.add(name);
    for (const name of module.facts.stringNames ?? []) inStrings.add(name);
    for (const definition of module.facts.definitions) {
      if (definition.kind !== "class") continue;
      const simple = simpleName(definition.name);
      const info: ClassInfo = {
        bases: definition.bases ?? [],
        modulePrefixes: module.facts.usedPrefixes ?? [],
        moduleSuffixes: module.facts.usedSuffixes ?? [],
        enclosing: classByKey.get(`${module.path}\u0000${ownerName(definition.name)}`),
      };
      const list = classesBySimpleName.get(simple) ?? [];
      list.push(info);
      classesBySimpleName.set(simple, list);
      classByKey.set(`${module.path}\u0000${definition.name}`, info);
    }
  }

  const ancestryMemo = new Map<ClassInfo, Ancestry>();
  const ancestryOf = (info: ClassInfo, visiting: Set<ClassInfo>): Ancestry => {
    const cached = ancestryMemo.get(info);
    if (cached) return cached;
    const result: Ancestry = { external: false, testCase: false, overrides: new Set(), overridePrefixes: new Set(info.modulePrefixes), overrideSuffixes: new Set(info.moduleSuffixes) };
    if (visiting.has(info)) return result;
    visiting.add(info);
    if (info.enclosing && ancestryOf(info.enclosing, visiting).external) result.external = true;
    for (const base of info.bases) {
      const simple = simpleName(base.replace(/\(.*$/s, ""));
      if (isNeutralBase(base)) continue;
      if (looksLikeTestCase(simple)) result.testCase = true;
      const projectClasses = /^[\w.]+$/.test(base) ? classesBySimpleName.get(simple) : undefined;
      if (projectClasses) {
        for (const parent of projectClasses) {
          const inherited = ancestryOf(parent, visiting);
          result.external ||= inherited.external;
          result.testCase ||= inherited.testCase;
          for (const name of inherited.overrides) result.overrides.add(name);
          for (const prefix of inherited.overridePrefixes) result.overridePrefixes.add(prefix);
          for (const suffix of inherited.overrideSuffixes) result.overrideSuffixes.add(suffix);
        }
        continue;
      }
      const outside = /^[\w.]+$/.test(base) ? knownBaseOverrides(base, simple) : undefined;
      if (!outside) {
        result.external = true;
        continue;
      }
      for (const name of outside.names) result.overrides.add(name);
      for (const prefix of outside.prefixes) result.overridePrefixes.add(prefix);
    }
    visiting.delete(info);
    ancestryMemo.set(info, result);
    return result;
  };

  const findings: Finding[] = [];
  for (const module of modules) {
    const testFile = isTestFile(module.path);
    const modulePrefixes = new Set(module.facts.usedPrefixes ?? []);
    const moduleSuffixes = new Set(module.facts.usedSuffixes ?? []);
    for (const definition of module.facts.definitions) {
      const rule = RULES[definition.kind];
      if (!rule || definition.implicitlyUsed) continue;
      const name = simpleName(definition.name);
      if (used.has(name)) continue;
      // A dispatch prefix reaches functions of its own module and methods of its module's classes
      // and their subclasses, never the whole project (`"get" + kind` must not whitelist every get*).
      if (definition.kind !== "method" && definition.kind !== "property" && definition.kind !== "attribute" && (hasPrefix(name, modulePrefixes) || hasSuffix(name, moduleSuffixes))) continue;
      if (testFile && conventionalTestName(definition.kind, name)) continue;
      let confidence = definition.confidence;
      if (inStrings.has(name)) confidence = Math.min(confidence, STRING_REFERENCE_CONFIDENCE);
      if (definition.kind === "method" && PROTOCOL_METHODS.has(name)) confidence = Math.min(confidence, PROTOCOL_METHOD_CONFIDENCE);
      if (definition.kind === "class") {
        const own = classByKey.get(`${module.path}\u0000${definition.name}`);
        if (own && ancestryOf(own, new Set()).testCase) continue;
      }
      // Members, nested classes included (Django's `class Meta`, pydantic's `class Config`), take
      // their class's ancestry into account.
      const info = classByKey.get(`${module.path}\u0000${ownerName(definition.name)}`);
      if (info && definition.kind !== "function") {
        const ancestry = ancestryOf(info, new Set());
        if (ancestry.overrides.has(name) || hasPrefix(name, ancestry.overridePrefixes) || hasSuffix(name, ancestry.overrideSuffixes)) continue;
        if (ancestry.external) confidence = Math.min(confidence, EXTERNAL_BASE_CONFIDENCE);
      }
      if (confidence < options.minConfidence) continue;
      findings.push({
        rule,
        path: module.path,
        line: definition.startLine ?? definition.line,
        endLine: definition.endLine,
        message: `unused ${definition.kind} '${name}'`,
        confidence,
        symbol: definition.name,
      });
    }
  }
  return findings.sort((a, b) => (a.path === b.path ? a.line - b.line : a.path < b.path ? -1 : 1));
}

function hasPrefix(name: string, prefixes: Set<string>): boolean {
  for (const prefix of prefixes) if (name.startsWith(prefix) && name.length > prefix.length) return true;
  return false;
}

function hasSuffix(name: string, suffixes: Set<string>): boolean {
  for (const suffix of suffixes) if (name.endsWith(suffix) && name.length > suffix.length) return true;
  return false;
}

/** pytest's default test conventions (`test*` functions and methods, `Test*` classes), hooks, `*Test*` classes. */
function conventionalTestName(kind: DefinitionFact["kind"], name: string): boolean {
  if (kind === "class") return name.includes("Test");
  if (kind === "function") return name.startsWith("test") || name.startsWith("pytest_") || PYTEST_FUNCTION_NAMES.has(name);
  if (kind === "method") return name.startsWith("test") || PYTEST_METHOD_NAMES.has(name);
  return false;
}

/** The names of unused-import findings, by file. */
function unusedImportsByPath(findings: readonly Finding[]): Map<string, Set<string>> {
  const pending = new Map<string, Set<string>>();
  for (const finding of findings) {
    if (finding.rule !== "unused-import" || finding.symbol === undefined) continue;
    const symbols = pending.get(finding.path) ?? new Set<string>();
    symbols.add(finding.symbol);
    pending.set(finding.path, symbols);
  }
  return pending;
}

/**
 * Drops `unused-import` findings for names that other project modules import from the module
 * (`from pkg.a import name`): removing such an import breaks its importers. Needs the whole
 * project, so it runs after the per-file findings. (`import pkg.a` then `pkg.a.name` is not
 * tracked: facts keep attribute names without their objects.)
 */
export function dropReexportedImports(findings: Finding[], modules: ProjectModule[]): Finding[] {
  const pending = unusedImportsByPath(findings);
  if (pending.size === 0) return findings;
  const known = new Set(modules.map((module) => module.module));
  const pathOf = new Map(modules.map((module) => [module.module, module.path]));
  const reexported = new Set<string>();
  for (const module of modules) {
    for (const fact of module.facts.imports) {
      if (fact.names.length === 0) continue;
      const base = absoluteBase(module.module, module.isPackage, fact);
      const target = base === undefined ? undefined : longestKnownPrefix(base, known);
      const path = target === undefined ? undefined : pathOf.get(target);
      const symbols = path === undefined ? undefined : pending.get(path);
      if (!symbols) continue;
      for (const name of fact.names) if (symbols.has(name)) reexported.add(`${path}\u0000${name}`);
    }
  }
  return findings.filter(
    (finding) => finding.rule !== "unused-import" || !reexported.has(`${finding.path}\u0000${finding.symbol ?? ""}`),
  );
}

/** Attribute and call names that read another frame's local variables. */
const FRAME_LOCALS_READERS = ["f_locals", "getargvalues", "getouterframes"];

/**
 * Paths of modules whose functions' locals may be read through frames: a module that reads
 * `f_locals` (or `inspect.getargvalues`, `getouterframes`), and every project module that imports
 * one. Their unused-variable findings drop to FRAME_READ_CONFIDENCE.
 */
export function frameReadPaths(modules: ProjectModule[]): string[] {
  const readers = new Set<string>();
  for (const module of modules) {
    if (FRAME_LOCALS_READERS.some((name) => module.facts.usedNames.includes(name))) readers.add(module.module);
  }
  if (readers.size === 0) return [];
  const known = new Set(modules.map((module) => module.module));
  const paths: string[] = [];
  for (const module of modules) {
    const reads = readers.has(module.module) || module.facts.imports.some((fact) => resolveImport(module.module, module.isPackage, fact, known).some((target) => readers.has(target)));
    if (reads) paths.push(module.path);
  }
  return paths;
}

/** Lowers the unused-variable findings of `paths` (see frameReadPaths) to FRAME_READ_CONFIDENCE. */
export function lowerFrameReadLocals(findings: Finding[], paths: ReadonlySet<string>): Finding[] {
  if (paths.size === 0) return findings;
  return findings.map((finding) =>
    finding.rule === "unused-variable" && paths.has(finding.path) && finding.confidence > FRAME_READ_CONFIDENCE ? { ...finding, confidence: FRAME_READ_CONFIDENCE } : finding,
  );
}

/**
 * `path\0symbol` of unused-import findings whose name other project modules read as an attribute
 * of the importing module (`from . import util` then `util._args_from_interpreter_flags()` in
 * multiprocessing): the import is a re-export for them. Reported at REEXPORT_LIKE confidence.
 */
export function attributeReexportedImports(findings: Finding[], modules: ProjectModule[]): string[] {
  const pending = unusedImportsByPath(findings);
  if (pending.size === 0) return [];
  const known = new Set(modules.map((module) => module.module));
  const pathOf = new Map(modules.map((module) => [module.module, module.path]));
  const keys = new Set<string>();
  for (const module of modules) {
    let used: Set<string> | undefined;
    let ownNames: Set<string> | undefined;
    for (const fact of module.facts.imports) {
      for (const target of moduleBindings(module, fact, known)) {
        const path = pathOf.get(target);
        const symbols = path === undefined || path === module.path ? undefined : pending.get(path);
        if (!symbols) continue;
        used ??= new Set(module.facts.usedNames);
        // A name the importer binds itself (`import re` in both) is its own, not the module's.
        ownNames ??= new Set([...module.facts.imports.flatMap((own) => own.bound), ...module.facts.definitions.map((definition) => definition.name)]);
        for (const symbol of symbols) if (used.has(symbol) && !ownNames.has(symbol)) keys.add(`${path}\u0000${symbol}`);
      }
    }
  }
  return [...keys];
}

/** Project modules that `fact` binds as module objects (`import a.b`, `from a import b` where `a.b` is a module). */
function moduleBindings(module: ProjectModule, fact: ProjectModule["facts"]["imports"][number], known: Set<string>): string[] {
  const base = absoluteBase(module.module, module.isPackage, fact);
  if (base === undefined) return [];
  if (fact.names.length === 0) return known.has(base) ? [base] : [];
  return fact.names.map((name) => `${base}.${name}`).filter((name) => known.has(name));
}
