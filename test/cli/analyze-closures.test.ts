import { describe, expect, it } from "vitest";
import { makeTree, runCli } from "../helpers/cli.js";

/** A complex closure inside a simple function, and one inside a method (boltons' funcutils style). */
const SOURCE = [
  "def wraps(func):",
  "    def decorator(wrapper):",
  "        if func and wrapper:",
  "            pass",
  "        for name in ('a', 'b'):",
  "            if name == 'a' or name == 'b':",
  "                pass",
  "        return wrapper",
  "    return decorator",
  "",
  "class Cache:",
  "    def get(self, key):",
  "        def missing():",
  "            return key if key else None",
  "        return missing()",
  "",
].join("\n");

describe("pyagent analyze lists nested functions", () => {
  it("includes closures in each file's functions in JSON, with radon's names, and in the hotspots of text and md", async () => {
    const root = makeTree({ "pkg/funcutils.py": SOURCE });
    const json = await runCli("analyze", root, "--format", "json", "--max-complexity", "4");
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    const functions = report.files[0].functions.map((block: { name: string; kind: string; line: number; endLine: number; complexity: number }) => [
      block.name,
      block.kind,
      block.line,
      block.endLine,
      block.complexity,
    ]);
    expect(functions).toEqual([
      ["Cache", "class", 11, 15, 2],
      ["wraps", "function", 1, 9, 1],
      ["Cache.get", "method", 12, 15, 1],
      ["wraps.decorator", "function", 2, 8, 6],
      ["get.missing", "function", 13, 14, 2],
    ]);
    expect(report.findings.filter((finding: { rule: string }) => finding.rule === "complexity-hotspot").map((finding: { symbol: string }) => finding.symbol)).toEqual([
      "wraps.decorator",
    ]);

    const text = await runCli("analyze", root, "--format", "text");
    expect(text.stdout).toContain("wraps.decorator");
    const markdown = await runCli("analyze", root, "--format", "md");
    expect(markdown.stdout).toContain("`wraps.decorator`");
  });
});
