/**
 * What the findings walk has learned about one module, and the resolution of it when a scope
 * closes: which imports and locals nothing reads, which definitions are exported, the facts.
 * The walk (walk.ts) reads syntax; this file decides.
 */
import type { DefinitionFact, FindingRule, ImportFact, ModuleFacts } from "../types.js";
import { fromPrivateModule, isReexportFacade, reportableUnusedImports } from "./import-statements.js";
import { SourceLines } from "./noqa.js";
import { type ImportBinding, type LocalCandidate, newScope, type Scope, type ScopeKind } from "./scopes.js";
import type { UnreachableDraft } from "./unreachable.js";
import { NameUses } from "./uses.js";

export interface ModuleAnalysis {
  facts: ModuleFacts;
  /** `likelyReexport`: a re-export or a global read by computed name may use it (confidence 50). */
  unusedImports: Array<ImportBinding & { scope: ScopeKind; likelyReexport: boolean }>;
  unusedLocals: LocalCandidate[];
  /** `keepsGenerator`: the block holds the function's only `yield`s (removing it changes what the function is). */
  unreachable: Array<UnreachableDraft & { keepsGenerator: boolean }>;
}

/** Names that are never reported as unused locals (vulture's list plus the `_` conventions). */
const IGNORED_LOCALS = new Set(["self", "object"]);

const DEFINITION_RULES: Partial<Record<DefinitionFact["kind"], FindingRule>> = {
  function: "unused-function",
  class: "unused-class",
  method: "unused-method",
  attribute: "unused-attribute",
  property: "unused-property",
};

export class ModuleState {
  readonly uses = new NameUses();
  readonly definitions: DefinitionFact[] = [];
  private readonly definedQualNames = new Set<string>();
  readonly imports: ImportFact[] = [];
  readonly calls: ModuleFacts["calls"] = [];
  dunderAll: string[] | null = null;
  private readonly unusedImports: Array<ImportBinding & { scope: ScopeKind }> = [];
  /** Functions and classes defined at module level: a module without any is a script or a facade. */
  moduleDefinitions = 0;
  private readonly unusedLocals: LocalCandidate[] = [];
  private readonly unreachable: Array<UnreachableDraft & { owner: Scope | undefined }> = [];
  /** Lines of the `yield`s of each function scope. */
  private readonly yieldLines = new Map<Scope, number[]>();
  /** Imports in class bodies become class attributes: used by any read or attribute access. */
  readonly classImports: ImportBinding[] = [];
  /** The scopes open at the walk's position, module first. */
  readonly scopes: Scope[];
  private readonly lines: SourceLines;
  /** Something reads module globals by computed name: an unused-looking import may be read that way. */
  globalsLookedUp = false;

  constructor(source: string, start: number, end: number) {
    this.scopes = [newScope("module", "", start, end)];
    this.lines = new SourceLines(source);
  }

  get scope(): Scope {
    return this.scopes[this.scopes.length - 1] as Scope;
  }

  /** Innermost function scope, if the walk is inside one. */
  functionScope(): Scope | undefined {
    for (let index = this.scopes.length - 1; index >= 0; index--) {
      const scope = this.scopes[index] as Scope;
      if (scope.kind === "function") return scope;
    }
    return undefined;
  }

  /**
   * Records a definition. Attributes and variables are recorded at their first binding only
   * (`self.x = ...` repeats in every method); each def/class statement is its own definition,
   * as conditional redefinitions (`if WINDOWS: def f...` / `else: def f...`) are separate code.
   */
  define(fact: DefinitionFact): void {
    if (fact.kind === "attribute" || fact.kind === "variable") {
      if (this.definedQualNames.has(fact.name)) return;
      this.definedQualNames.add(fact.name);
    }
    const rule = DEFINITION_RULES[fact.kind];
    // `# noqa` (or `# noqa: V103`...) on the definition's lines whitelists it like a convention.
    if (rule && this.lines.silenced(rule, fact.startLine ?? fact.line, fact.line)) fact.implicitlyUsed = true;
    this.definitions.push(fact);
  }

  addUnreachable(...drafts: UnreachableDraft[]): void {
    const owner = this.functionScope();
    for (const draft of drafts) this.unreachable.push({ ...draft, owner });
  }

  /** A `yield` at the walk's position makes the enclosing function a generator. */
  yielded(line: number): void {
    const owner = this.functionScope();
    if (!owner) return;
    const lines = this.yieldLines.get(owner) ?? [];
    lines.push(line);
    this.yieldLines.set(owner, lines);
  }

  /** Confirms the prefixes of names that this scope passed to getattr/hasattr. */
  closePrefixes(scope: Scope): void {
    for (const [name, affix] of scope.prefixedNames) if (scope.attributeNameArguments.has(name)) this.uses.affix(affix);
  }

  closeFunction(scope: Scope): void {
    this.closePrefixes(scope);
    if (scope.dynamic) return;
    // A function made of imports exists for their side effects (`from . import connection` in
    // multiprocessing's allow_connection_pickling).
    for (const binding of scope.importsOnly ? [] : scope.imports) {
      // `global np; import numpy as np` binds a module global: reads after this function count,
      // so it is decided with the module's imports at the end.
      if (scope.declared.has(binding.name)) (this.scopes[0] as Scope).imports.push(binding);
      else if (!this.uses.reads.readWithin(binding.name, scope.start, scope.end)) this.unusedImports.push({ ...binding, scope: "function" });
    }
    for (const candidate of scope.candidates) {
      const name = candidate.name;
      if (IGNORED_LOCALS.has(name) || name.startsWith("_") || scope.declared.has(name)) continue;
      if (!this.uses.reads.readWithin(name, scope.start, scope.end)) this.unusedLocals.push(candidate);
    }
  }

  finish(): ModuleAnalysis {
    const module = this.scopes[0] as Scope;
    this.closePrefixes(module);
    const exported = new Set(this.dunderAll ?? []);
    const globallyUsed = (name: string): boolean => this.uses.reads.has(name) || exported.has(name);
    for (const binding of module.imports) {
      if (!globallyUsed(binding.name)) this.unusedImports.push({ ...binding, scope: "module" });
    }
    for (const binding of this.classImports) {
      if (!globallyUsed(binding.name) && !this.uses.attributes.has(binding.name)) this.unusedImports.push({ ...binding, scope: "class" });
    }
    const kept = reportableUnusedImports(this.unusedImports, this.imports);
    const facade = isReexportFacade(module.imports.length, kept.filter((binding) => binding.scope === "module").length, this.moduleDefinitions);
    const unusedImports = kept.map((binding) => ({
      ...binding,
      likelyReexport: binding.scope !== "function" && (facade || this.globalsLookedUp || (binding.fromImport && fromPrivateModule(binding.module))),
    }));
    for (const definition of this.definitions) {
      if (!definition.name.includes(".") && exported.has(definition.name)) definition.implicitlyUsed = true;
    }
    const facts: ModuleFacts = {
      definitions: this.definitions,
      imports: this.imports,
      usedNames: this.uses.usedNames(exported),
      calls: this.calls,
      dunderAll: this.dunderAll,
      stringNames: [...this.uses.strings],
      usedPrefixes: [...this.uses.prefixes],
      usedSuffixes: [...this.uses.suffixes],
    };
    const unreachable = this.unreachable.map(({ owner, ...draft }) => {
      const lines = owner ? (this.yieldLines.get(owner) ?? []) : [];
      const inside = lines.filter((line) => line >= draft.line && line <= draft.endLine).length;
      return { ...draft, keepsGenerator: inside > 0 && inside === lines.length };
    });
    return { facts, unusedImports, unusedLocals: this.unusedLocals, unreachable };
  }
}
