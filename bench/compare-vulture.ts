/**
 * PyAgent's findings against vulture's on one Python tree, kind by kind.
 *
 *   npx tsx bench/compare-vulture.ts [DIR]        (default /usr/lib/python3.11)
 *
 * Runs `vulture DIR --min-confidence 0` (cwd DIR, so it prints relative paths), runs our
 * extractFacts + localFindings per file and projectFindings + dropReexportedImports over the
 * tree, and prints per kind: counts in both, only ours, only vulture's, and samples of each.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative, sep } from "node:path";
import { extractFacts } from "../src/python/findings/facts.js";
import { importCycles, type ProjectModule } from "../src/python/findings/imports.js";
import { localFindings } from "../src/python/findings/local.js";
import { dropReexportedImports, projectFindings } from "../src/python/findings/project.js";
import { createPythonParser, parsePython } from "../src/python/parse/parser.js";
import type { Finding } from "../src/python/types.js";

type Kind = "import" | "variable" | "unreachable" | "function" | "class" | "method" | "attribute" | "property";
const KINDS: Kind[] = ["import", "variable", "unreachable", "function", "class", "method", "attribute", "property"];

interface Item {
  kind: Kind;
  path: string;
  line: number;
  name: string;
  confidence: number;
  message: string;
}

const root = process.argv[2] ?? "/usr/lib/python3.11";
const samples = Number(process.env.SAMPLES ?? 6);

function pythonFiles(directory: string, into: string[]): string[] {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) pythonFiles(path, into);
    else if (entry.isFile() && entry.name.endsWith(".py")) into.push(path);
  }
  return into;
}

function kindOf(finding: Finding): Kind {
  if (finding.rule === "unreachable-code") return "unreachable";
  return finding.rule.replace("unused-", "") as Kind;
}

function runVulture(): { items: Item[]; seconds: number } {
  const started = performance.now();
  let output = "";
  try {
    output = execFileSync("vulture", [".", "--min-confidence", "0"], { cwd: root, encoding: "utf8", maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] });
  } catch (error) {
    // vulture exits 3 when it found dead code; its report is still on stdout.
    output = String((error as { stdout?: string }).stdout ?? "");
  }
  const seconds = (performance.now() - started) / 1000;
  const items: Item[] = [];
  for (const text of output.split("\n")) {
    const match = /^(.*?):(\d+): (.*) \((\d+)% confidence\)$/.exec(text);
    if (!match) continue;
    const [, path, lineText, message, confidence] = match as unknown as [string, string, string, string, string];
    if (path.startsWith("whitelists/")) continue;
    const unused = /^unused (import|variable|function|class|method|attribute|property) '(.*)'$/.exec(message);
    const kind: Kind = unused ? (unused[1] as Kind) : "unreachable";
    items.push({ kind, path: path.replace(/^\.\//, ""), line: Number(lineText), name: unused ? (unused[2] as string) : message, confidence: Number(confidence), message });
  }
  return { items, seconds };
}

interface Timings {
  parse: number;
  facts: number;
  local: number;
  project: number;
  cycles: number;
  cycleCount: number;
}

async function runOurs(): Promise<{ items: Item[]; seconds: number; files: number; lines: number; timings: Timings }> {
  const started = performance.now();
  const parser = await createPythonParser();
  const modules: ProjectModule[] = [];
  const local: Finding[] = [];
  const timings: Timings = { parse: 0, facts: 0, local: 0, project: 0, cycles: 0, cycleCount: 0 };
  let lines = 0;
  const files = pythonFiles(root, []);
  for (const file of files) {
    const path = relative(root, file).split(sep).join("/");
    const source = readFileSync(file, "utf8");
    lines += source.split("\n").length;
    let mark = performance.now();
    const tree = parsePython(parser, source);
    timings.parse += performance.now() - mark;
    const isPackage = path.endsWith("__init__.py");
    mark = performance.now();
    const facts = extractFacts(tree.rootNode, source);
    timings.facts += performance.now() - mark;
    mark = performance.now();
    local.push(...localFindings(tree.rootNode, source, path, facts, { isPackageInit: isPackage }));
    timings.local += performance.now() - mark;
    tree.delete();
    const module = path.replace(/\.py$/, "").replace(/\/__init__$/, "").split("/").join(".");
    modules.push({ path, module, isPackage, facts });
  }
  let mark = performance.now();
  const all = [...dropReexportedImports(local, modules), ...projectFindings(modules, { minConfidence: 0 })];
  timings.project = performance.now() - mark;
  mark = performance.now();
  timings.cycleCount = importCycles(modules).length;
  timings.cycles = performance.now() - mark;
  const seconds = (performance.now() - started) / 1000;
  const items = all
    .filter((finding) => finding.rule !== "import-cycle")
    .map((finding) => {
      const kind = kindOf(finding);
      const name = kind === "unreachable" ? finding.message : (/'(.*)'/.exec(finding.message)?.[1] ?? finding.symbol ?? "");
      return { kind, path: finding.path, line: finding.line, name, confidence: finding.confidence, message: finding.message };
    });
  return { items, seconds, files: files.length, lines, timings };
}

/** Attributes are keyed without the line: vulture reports every store, we report the first. */
function key(item: Item): string {
  if (item.kind === "attribute") return `${item.path}:${item.name}`;
  if (item.kind === "unreachable") return `${item.path}:${item.line}`;
  return `${item.path}:${item.line}:${item.name}`;
}

function compare(kind: Kind, ours: Item[], theirs: Item[]): void {
  const ourKeys = new Map(ours.filter((item) => item.kind === kind).map((item) => [key(item), item]));
  const theirKeys = new Map(theirs.filter((item) => item.kind === kind).map((item) => [key(item), item]));
  const onlyOurs = [...ourKeys].filter(([k]) => !theirKeys.has(k)).map(([, item]) => item);
  const onlyTheirs = [...theirKeys].filter(([k]) => !ourKeys.has(k)).map(([, item]) => item);
  const both = ourKeys.size - onlyOurs.length;
  console.log(`\n## ${kind}: ours ${ourKeys.size}, vulture ${theirKeys.size}, both ${both}, only ours ${onlyOurs.length}, only vulture ${onlyTheirs.length}`);
  const show = (label: string, items: Item[]): void => {
    const step = Math.max(1, Math.floor(items.length / samples));
    for (let index = 0; index < items.length && index / step < samples; index += step) {
      const item = items[index] as Item;
      console.log(`  ${label} ${item.path}:${item.line}: ${item.message} (${item.confidence}%)`);
    }
  };
  show("only ours   ", onlyOurs);
  show("only vulture", onlyTheirs);
}

const cpu = cpus();
console.log(`# PyAgent findings vs vulture on ${root}`);
console.log(`machine: ${cpu.length} x ${cpu[0]?.model ?? "unknown cpu"}, node ${process.version}`);
const ours = await runOurs();
console.log(`ours: ${ours.files} files, ${ours.lines} lines, ${ours.seconds.toFixed(2)} s (parse + facts + local + project findings, one thread)`);
const ms = (value: number): string => `${(value / 1000).toFixed(2)} s`;
const { timings } = ours;
console.log(
  `  parse ${ms(timings.parse)}, extractFacts ${ms(timings.facts)}, localFindings ${ms(timings.local)}, ` +
    `projectFindings + dropReexportedImports ${ms(timings.project)}, importCycles ${ms(timings.cycles)} (${timings.cycleCount} cycles)`,
);
const theirs = runVulture();
console.log(`vulture: ${theirs.seconds.toFixed(2)} s (\`vulture . --min-confidence 0\`, cwd ${root})`);
for (const kind of KINDS) compare(kind, ours.items, theirs.items);
const callables = (items: Item[]): Item[] =>
  items.filter((item) => item.kind === "function" || item.kind === "method" || item.kind === "property").map((item) => ({ ...item, kind: "function" as Kind }));
console.log("\n# functions, methods and properties together (classification differs: vulture calls any def whose first argument is `self` a method)");
compare("function", callables(ours.items), callables(theirs.items));
const reportable = ours.items.filter((item) => item.confidence >= 60);
console.log(`\nours at confidence >= 60: ${reportable.length} of ${ours.items.length}; vulture at >= 60: ${theirs.items.filter((item) => item.confidence >= 60).length} of ${theirs.items.length}`);
