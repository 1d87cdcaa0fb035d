/**
 * `# noqa` comments, read the way flake8 and vulture read them: a bare `# noqa` silences every
 * finding on its line, `# noqa: F401,V104` only the listed codes. flake8's F401/F841 map to
 * vulture's V104/V107, so either spelling silences our rule.
 */
import type { FindingRule } from "../types.js";

const NOQA = /# noqa(?::[\s]?((?:[A-Z]+[0-9]+(?:[,\s]+)?)+))?/i;

/** Codes that silence each rule (vulture's V-codes plus flake8's aliases). */
const RULE_CODES: Partial<Record<FindingRule, readonly string[]>> = {
  "unused-attribute": ["V101"],
  "unused-class": ["V102"],
  "unused-function": ["V103"],
  "unused-import": ["V104", "F401"],
  "unused-method": ["V105"],
  "unused-property": ["V106"],
  "unused-variable": ["V107", "F841"],
  "unreachable-code": ["V201"],
};

/** Line lookup over one source text; line starts are computed once, on first use. */
export class SourceLines {
  private starts: number[] | undefined;

  constructor(private readonly source: string) {}

  /** Text of the 1-based line, without its newline. */
  line(lineNumber: number): string {
    if (!this.starts) {
      const starts = [0];
      for (let index = this.source.indexOf("\n"); index !== -1; index = this.source.indexOf("\n", index + 1)) starts.push(index + 1);
      this.starts = starts;
    }
    const start = this.starts[lineNumber - 1];
    if (start === undefined) return "";
    const next = this.starts[lineNumber];
    return this.source.slice(start, next === undefined ? this.source.length : next - 1);
  }

  /** True when any line in [first, last] carries a `# noqa` that covers `rule`. */
  silenced(rule: FindingRule, first: number, last = first): boolean {
    for (let lineNumber = first; lineNumber <= last; lineNumber++) {
      const text = this.line(lineNumber);
      if (!text.includes("#")) continue;
      const match = NOQA.exec(text);
      if (!match) continue;
      if (!match[1]) return true;
      const codes = match[1].split(/[,\s]+/).map((code) => code.trim().toUpperCase());
      const wanted = RULE_CODES[rule] ?? [];
      if (codes.some((code) => wanted.includes(code))) return true;
    }
    return false;
  }
}
