import { createHash } from "node:crypto";
import type { FindingRule } from "../../python/index.js";
import type { AnalysisReport } from "./analysis-json.js";
import { RULES } from "./rules.js";

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/**
 * SARIF 2.1.0 as GitHub code scanning ingests it: one run, rule metadata in the driver, results
 * with `%SRCROOT%`-relative locations and a stable partial fingerprint per finding so alerts
 * survive unrelated edits.
 */
export function toSarif(report: AnalysisReport, toolVersion: string): object {
  const ruleIds = Object.keys(RULES) as FindingRule[];
  const ruleIndex = new Map(ruleIds.map((id, index) => [id, index]));
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "PyAgent",
            semanticVersion: toolVersion,
            version: toolVersion,
            informationUri: "https://github.com/pyagent/pyagent",
            rules: ruleIds.map((id) => ({
              id,
              name: RULES[id].title.replace(/\s+/g, ""),
              shortDescription: { text: RULES[id].title },
              fullDescription: { text: RULES[id].help },
              help: { text: RULES[id].help },
              defaultConfiguration: { level: RULES[id].level },
              properties: { tags: ["maintainability"] },
            })),
          },
        },
        originalUriBaseIds: { "%SRCROOT%": { uri: "file:///" + report.root.replace(/^\/+/, "").replace(/\/?$/, "/") } },
        results: report.findings.map((finding) => ({
          ruleId: finding.rule,
          ruleIndex: ruleIndex.get(finding.rule as FindingRule) ?? 0,
          level: RULES[finding.rule as FindingRule]?.level ?? "warning",
          message: { text: finding.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(finding.path), uriBaseId: "%SRCROOT%" },
                region: { startLine: Math.max(1, finding.line), ...(finding.endLine && finding.endLine >= finding.line ? { endLine: finding.endLine } : {}) },
              },
            },
          ],
          partialFingerprints: {
            primaryLocationLineHash: createHash("sha256").update(`${finding.rule}:${finding.path}:${finding.symbol ?? finding.message}`).digest("hex").slice(0, 32),
          },
          properties: { confidence: finding.confidence },
        })),
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.errors.map((error) => ({
              level: "warning",
              message: { text: error.message },
              locations: [{ physicalLocation: { artifactLocation: { uri: encodeURI(error.path), uriBaseId: "%SRCROOT%" } } }],
            })),
          },
        ],
      },
    ],
  };
}
