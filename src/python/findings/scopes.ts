/**
 * Scope records and name tables of the single findings walk. Reads are flow-insensitive: a name
 * counts as read by a function when any read of it lies inside the function's byte range, which
 * covers nested functions, lambdas, comprehensions and class bodies (closures). That can only hide
 * findings, never invent one.
 */

export type ScopeKind = "module" | "class" | "function";

/** A local name assigned in a function; reported when nothing in the function reads it. */
export interface LocalCandidate {
  name: string;
  line: number;
  endLine: number;
  kind: "assignment" | "exception";
  /**
   * The assigned value builds or calls something (`ref = Thing()`, `x = [{} for _ in r]`): in a
   * test that may be the point, keeping the object alive for a gc or weakref check.
   */
  constructs?: boolean;
  /**
   * The value is taken out of a container (`d.pop(k)`, `root[RESULT]`): the name may hold the
   * reference on purpose, so the object is freed when the function returns, not mid-update.
   */
  holdsReference?: boolean;
  /** `x: str = ...`: the annotation may be what the code is about (annotation test data). */
  annotated?: boolean;
}

/** A name bound by an import statement, checked for use when its scope closes. */
export interface ImportBinding {
  name: string;
  /** Module as written (`os.path`, `.models`), for the side-effect list. */
  module: string;
  line: number;
  endLine: number;
  /** `import x as x` / `from m import x as x`: explicit re-export (PEP 484). */
  reexport: boolean;
  /** `import a.b` without alias: binds `a`, but its point may be loading submodule `a.b`. */
  submoduleLoad: boolean;
  /** `from x import ...` (not `import x`). */
  fromImport: boolean;
  /** Inside `try:` whose handlers catch ImportError: an availability check. */
  guarded: boolean;
}

export interface Scope {
  kind: ScopeKind;
  /** Qualified name of the definition that opened it ("" for the module). */
  qualName: string;
  /** Byte range of the scope's node. */
  start: number;
  end: number;
  /** Names declared `global` or `nonlocal` here: not locals of this scope. */
  declared: Set<string>;
  /** `locals()`, `vars()`, `eval`, `exec` or frame access inside: locals may be read dynamically. */
  dynamic: boolean;
  candidates: LocalCandidate[];
  imports: ImportBinding[];
  /** For methods (and functions nested in them): the first parameter and the class it names. */
  selfName: string | undefined;
  className: string | undefined;
  /** For classes: bases look like a unittest TestCase. */
  testCase: boolean;
  /** For classes: bases look like an Enum or Flag, whose members are looked up by value and iteration. */
  enumLike: boolean;
  /** `name = "visit_" + kind` here: the literal prefix each such name holds (`*suffix` for `kind + "_format"`). */
  prefixedNames: Map<string, string>;
  /** For functions: the body holds nothing but imports (and a docstring): it exists to import. */
  importsOnly: boolean;
  /** Names passed here as getattr/hasattr's attribute argument. */
  attributeNameArguments: Set<string>;
}

export function newScope(kind: ScopeKind, qualName: string, start: number, end: number): Scope {
  return {
    kind,
    qualName,
    start,
    end,
    declared: new Set(),
    dynamic: false,
    candidates: [],
    imports: [],
    selfName: undefined,
    className: undefined,
    testCase: false,
    enumLike: false,
    importsOnly: false,
    prefixedNames: new Map(),
    attributeNameArguments: new Set(),
  };
}

/**
 * Byte offsets of every read of each name, in walk order (which is source order), so "is `x` read
 * inside [start, end)" is a binary search.
 */
export class ReadTable {
  private readonly offsets = new Map<string, number[]>();
  /** Names whose offsets were not appended in ascending order (rare re-visits): searched linearly. */
  private readonly unsorted = new Set<string>();

  add(name: string, offset: number): void {
    const list = this.offsets.get(name);
    if (!list) {
      this.offsets.set(name, [offset]);
      return;
    }
    if (offset < (list[list.length - 1] as number)) this.unsorted.add(name);
    list.push(offset);
  }

  has(name: string): boolean {
    return this.offsets.has(name);
  }

  readWithin(name: string, start: number, end: number): boolean {
    const list = this.offsets.get(name);
    if (!list) return false;
    if (this.unsorted.has(name)) return list.some((offset) => offset >= start && offset < end);
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((list[middle] as number) < start) low = middle + 1;
      else high = middle;
    }
    return low < list.length && (list[low] as number) < end;
  }

  names(): IterableIterator<string> {
    return this.offsets.keys();
  }
}
