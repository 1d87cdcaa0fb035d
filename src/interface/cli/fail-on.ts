import { UsageError } from "../../core/index.js";
import type { Finding, FindingRule } from "../../python/index.js";

/** One `--fail-on` condition: a rule id, or a complexity threshold. */
export type FailCondition = { kind: "rule"; rule: FindingRule | "any" } | { kind: "complexity"; above: number };

const KNOWN_RULES: FindingRule[] = [
  "unused-import", "unused-variable", "unreachable-code", "unused-function", "unused-class", "unused-method",
  "unused-attribute", "unused-property", "import-cycle", "oversized-module", "complexity-hotspot",
];

/** Parses `--fail-on` values: `RULE`, `any`, `complexity>N`, comma-separated or repeated. */
export function parseFailOn(values: string[]): FailCondition[] {
  const conditions: FailCondition[] = [];
  for (const value of values.flatMap((item) => item.split(",")).map((item) => item.trim()).filter(Boolean)) {
    const complexity = /^complexity\s*>\s*(\d+)$/.exec(value);
    if (complexity) {
      conditions.push({ kind: "complexity", above: Number(complexity[1]) });
    } else if (value === "any" || (KNOWN_RULES as string[]).includes(value)) {
      conditions.push({ kind: "rule", rule: value as FindingRule | "any" });
    } else {
      throw new UsageError(`invalid --fail-on '${value}': use a rule (${KNOWN_RULES.join(", ")}), 'any', or 'complexity>N'`);
    }
  }
  return conditions;
}

/** Messages for every finding or function that matches a condition (empty: the check passes). */
export function failures(
  conditions: FailCondition[],
  findings: Finding[],
  functions: Array<{ path: string; name: string; line: number; complexity: number; kind: string }>,
): string[] {
  const messages: string[] = [];
  for (const condition of conditions) {
    if (condition.kind === "rule") {
      for (const finding of findings) {
        if (condition.rule === "any" || finding.rule === condition.rule) messages.push(`${finding.path}:${finding.line}: ${finding.rule}: ${finding.message}`);
      }
    } else {
      for (const block of functions) {
        if (block.kind !== "class" && block.complexity > condition.above) {
          messages.push(`${block.path}:${block.line}: complexity ${block.complexity} > ${condition.above}: ${block.name}`);
        }
      }
    }
  }
  return messages;
}
