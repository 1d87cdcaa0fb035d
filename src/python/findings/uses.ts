/**
 * Every use of a name one module makes, as the findings walk records them: reads of names (with
 * offsets, for per-function checks), attribute names, keyword and getattr names, names spelled by
 * string literals, and dispatch prefixes/suffixes.
 */
import { ReadTable } from "./scopes.js";
import { addStringNames, readTypeExpression } from "./strings.js";

const DOCTEST_LINE = /^[ \t]*(?:>>>|\.\.\.)[ \t]?([^\n]*)$/gm;
const IDENTIFIERS = /[A-Za-z_][A-Za-z0-9_]*/g;

export class NameUses {
  readonly reads = new ReadTable();
  readonly attributes = new Set<string>();
  /** Keyword-argument names, getattr strings, match keyword attributes: uses of attribute names. */
  readonly others = new Set<string>();
  readonly strings = new Set<string>();
  readonly prefixes = new Set<string>();
  readonly suffixes = new Set<string>();

  read(name: string, offset: number): void {
    this.reads.add(name, offset);
  }

  /** Names in a type expression written as text (string annotation, type comment) at `offset`. */
  typeExpression(text: string, offset: number): void {
    readTypeExpression(text, (name, isAttribute) => {
      if (isAttribute) this.attributes.add(name);
      else this.reads.add(name, offset);
    });
  }

  /**
   * The code lines (`>>> `, `... `) of a docstring's doctest examples: every identifier in them is
   * read at `offset` (the string's start) and may be an attribute.
   */
  doctest(content: string, offset: number): void {
    for (const match of content.matchAll(DOCTEST_LINE)) {
      for (const name of (match[1] as string).matchAll(IDENTIFIERS)) {
        const identifier = name[0];
        if (name.index > 0 && (match[1] as string)[name.index - 1] === ".") this.attributes.add(identifier);
        else this.reads.add(identifier, offset);
      }
    }
  }

  /** A plain string literal's content: may name a definition. */
  literal(content: string): void {
    addStringNames(content, this.strings);
  }

  /** A computed attribute name's literal part: `*suffix` for a suffix, otherwise a prefix. */
  affix(affix: string): void {
    if (affix.startsWith("*")) this.suffixes.add(affix.slice(1));
    else this.prefixes.add(affix);
  }

  /** Every used name for the module's facts: reads, attributes, other uses and exported names. */
  usedNames(exported: Iterable<string>): string[] {
    const names = new Set<string>(this.reads.names());
    for (const name of this.attributes) names.add(name);
    for (const name of this.others) names.add(name);
    for (const name of exported) names.add(name);
    return [...names];
  }
}
