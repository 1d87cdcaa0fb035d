/**
 * Agreement of src/python/metrics/complexity.ts with radon 5.1.0 `radon cc -j`, and its speed.
 * Run: npx tsx bench/agreement-cc.ts [DIR]   (default /usr/lib/python3.11)
 *
 * RESULTS: filled in below after the last run.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { createPythonParser, parsePython } from "../src/python/parse/parser.js";
import { analyzeComplexity } from "../src/python/metrics/complexity.js";
import type { BlockMetrics } from "../src/python/types.js";

const RadonBlock = z.object({
  type: z.enum(["function", "method", "class"]),
  name: z.string(),
  classname: z.string().optional(),
  lineno: z.number(),
  endline: z.number(),
  complexity: z.number(),
});
const RadonFile = z.union([z.object({ error: z.string() }), z.array(RadonBlock)]);
const RadonOutput = z.record(z.string(), RadonFile);

const dir = path.resolve(process.argv[2] ?? "/usr/lib/python3.11");

const radonStart = performance.now();
const radonJson = execFileSync("radon", ["cc", "-j", dir], { maxBuffer: 1 << 30, encoding: "utf8" });
const radonMs = performance.now() - radonStart;
const radon = RadonOutput.parse(JSON.parse(radonJson));

const parser = await createPythonParser();
let parseMs = 0;
let walkMs = 0;
let files = 0;
let erroredFiles = 0;
let lines = 0;
let both = 0;
let onlyRadon = 0;
let onlyOurs = 0;
let sameComplexity = 0;
let sameEndLine = 0;
let sameOrder = 0;
let orderedFiles = 0;
const disagreements: string[] = [];

const key = (name: string, line: number): string => `${name}@${line}`;

for (const [file, result] of Object.entries(radon)) {
  if (!Array.isArray(result)) {
    erroredFiles += 1;
    continue;
  }
  files += 1;
  const source = readFileSync(file, "utf8");
  lines += source.split("\n").length;
  let start = performance.now();
  const tree = parsePython(parser, source);
  parseMs += performance.now() - start;
  start = performance.now();
  const ours = analyzeComplexity(tree.rootNode).blocks;
  walkMs += performance.now() - start;
  tree.delete();

  const theirs = result.map((block) => ({
    name: block.type === "method" ? `${block.classname}.${block.name}` : block.name,
    line: block.lineno,
    endLine: block.endline,
    complexity: block.complexity,
  }));
  orderedFiles += 1;
  if (
    theirs.length === ours.length &&
    theirs.every((block, index) => block.name === ours[index].name && block.line === ours[index].line)
  )
    sameOrder += 1;
  const mine = new Map<string, BlockMetrics[]>();
  for (const block of ours) {
    const k = key(block.name, block.line);
    const list = mine.get(k);
    if (list) list.push(block);
    else mine.set(k, [block]);
  }
  for (const block of theirs) {
    const found = mine.get(key(block.name, block.line))?.shift();
    if (!found) {
      onlyRadon += 1;
      if (disagreements.length < 30) disagreements.push(`${file}:${block.line} ${block.name}: missing from ours`);
      continue;
    }
    both += 1;
    const complexityOk = found.complexity === block.complexity;
    const endOk = found.endLine === block.endLine;
    if (complexityOk) sameComplexity += 1;
    if (endOk) sameEndLine += 1;
    if ((!complexityOk || !endOk) && disagreements.length < 30)
      disagreements.push(
        `${file}:${block.line} ${block.name}: cc radon ${block.complexity} ours ${found.complexity}; endline radon ${block.endLine} ours ${found.endLine}`,
      );
  }
  for (const rest of mine.values()) {
    for (const block of rest) {
      onlyOurs += 1;
      if (disagreements.length < 30) disagreements.push(`${file}:${block.line} ${block.name}: missing from radon`);
    }
  }
}

const percent = (part: number, whole: number): string => `${((100 * part) / Math.max(1, whole)).toFixed(3)}%`;
const union = both + onlyRadon + onlyOurs;
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"} x${os.cpus().length}, node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
console.log(`dir: ${dir}; files compared: ${files} (${lines} lines); files radon could not parse: ${erroredFiles}`);
console.log(`blocks: ${union} (in both ${both}, only radon ${onlyRadon}, only ours ${onlyOurs})`);
console.log(`present in both: ${percent(both, union)}`);
console.log(`identical complexity: ${percent(sameComplexity, both)} (${both - sameComplexity} differ)`);
console.log(`identical endLine: ${percent(sameEndLine, both)} (${both - sameEndLine} differ)`);
console.log(`files listed in radon's exact order: ${percent(sameOrder, orderedFiles)}`);
console.log(
  `time: radon cc -j ${radonMs.toFixed(0)} ms (whole run) | ours: parse ${parseMs.toFixed(0)} ms + complexity walk ${walkMs.toFixed(0)} ms`,
);
if (disagreements.length > 0) console.log(`disagreements (first ${disagreements.length}):\n  ${disagreements.join("\n  ")}`);
