/**
 * What `python/` tells about Python source. Shapes here are the contract between the per-file
 * analyzers (run in worker threads), the project-level analyzers and the outputs.
 */

/** One block as `radon cc` lists it: functions, methods and classes, with radon's names. */
export interface BlockMetrics {
  /** Qualified name as radon prints it: `func`, `Class`, `Class.method`; nested functions/classes as radon names them. */
  name: string;
  kind: "function" | "method" | "class";
  /** 1-based first line (the `def`/`class` line, after decorators, as radon reports it). */
  line: number;
  /** 1-based last line, as radon's `endline`. */
  endLine: number;
  /** Cyclomatic complexity exactly as radon computes it. */
  complexity: number;
}

/** radon's raw metrics of one file (`radon raw`). */
export interface RawMetrics {
  loc: number;
  lloc: number;
  sloc: number;
  comments: number;
  multi: number;
  blank: number;
  singleComments: number;
}

/** radon's Halstead metrics of one file (`radon hal`, the file total). */
export interface HalsteadMetrics {
  h1: number;
  h2: number;
  N1: number;
  N2: number;
  vocabulary: number;
  length: number;
  calculatedLength: number;
  volume: number;
  difficulty: number;
  effort: number;
  time: number;
  bugs: number;
}

export interface FileMetrics {
  raw: RawMetrics;
  halstead: HalsteadMetrics;
  /** Maintainability index as `radon mi -s` computes it (multi-line strings counted as comments, radon's default). */
  mi: number;
  blocks: BlockMetrics[];
}

export type FindingRule =
  | "unused-import"
  | "unused-variable"
  | "unreachable-code"
  | "unused-function"
  | "unused-class"
  | "unused-method"
  | "unused-attribute"
  | "unused-property"
  | "import-cycle"
  | "oversized-module"
  | "complexity-hotspot";

export interface Finding {
  rule: FindingRule;
  /** Path relative to the analyzed root, POSIX separators. */
  path: string;
  line: number;
  endLine?: number;
  message: string;
  /** 0-100, as vulture's confidence. */
  confidence: number;
  /** The name the finding is about (import name, variable, function, ...). */
  symbol?: string;
}

/** A definition in a module, for the code graph and project-wide unused-code detection. */
export interface DefinitionFact {
  /** Qualified name inside the module (`Class.method`). */
  name: string;
  kind: "function" | "method" | "class" | "attribute" | "property" | "variable";
  line: number;
  endLine: number;
  /** Confidence that it is dead if nothing references its simple name (vulture's defaults: 60, 100 for unreachable). */
  confidence: number;
  /** True when something (decorator, dunder, `__all__`, test_ prefix...) makes it used by convention. */
  implicitlyUsed: boolean;
  /** First line including decorators, when the definition is decorated (vulture reports this line). */
  startLine?: number;
  /** Classes: base class expressions as written, subscripts dropped (`Generic[T]` -> `Generic`), keywords omitted. */
  bases?: string[];
}

export interface ImportFact {
  /** Absolute or relative module as written: `os.path`, `.models`, `..` */
  module: string;
  /** Relative import level (number of leading dots). */
  level: number;
  /** Imported names for `from x import a, b`; empty for `import x`. `*` for star imports. */
  names: string[];
  /** The names this import binds locally. */
  bound: string[];
  line: number;
  /** True when inside a function/class body or `if TYPE_CHECKING`/try block (not a hard module-load edge). */
  conditional: boolean;
  /** True when the import runs while the module itself is first imported: not inside a function, not under `if TYPE_CHECKING`. Import cycles use these edges. */
  loadTime?: boolean;
}

/** Everything project-level analysis needs from one module, computed in the worker. */
export interface ModuleFacts {
  definitions: DefinitionFact[];
  imports: ImportFact[];
  /** Every identifier read anywhere in the module (names, attribute names, strings in `__all__`, ...). */
  usedNames: string[];
  /** Best-effort call edges: caller qualified name (or `<module>`) -> called dotted name as written. */
  calls: Array<{ caller: string; callee: string; line: number }>;
  /** Names in `__all__`, or null when the module defines none. */
  dunderAll: string[] | null;
  /** String literals that spell a (dotted) identifier, split at dots: possible dynamic references. */
  stringNames?: string[];
  /** Literal prefixes of computed attribute names (`getattr(self, "visit_" + kind)` gives `visit_`). */
  usedPrefixes?: string[];
  /** Literal suffixes of computed attribute names (`getattr(self, kind + "_format")` gives `_format`). */
  usedSuffixes?: string[];
}

/** Result of analyzing one file in a worker. */
export type FileAnalysis =
  | {
      state: "ok";
      path: string;
      hash: string;
      lines: number;
      metrics: FileMetrics;
      /** Findings that need only this file: unused imports/variables, unreachable code. */
      findings: Finding[];
      facts: ModuleFacts;
    }
  | { state: "error"; path: string; hash: string; message: string };
