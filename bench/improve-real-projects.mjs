// Benchmark: `pyagent improve --merge` on real projects nobody here wrote (issue 11). For each
// project: its full test suite at baseline (node ids and outcomes, read by this script, not by
// PyAgent), improve with the default agents and with every deterministic agent (each on a fresh
// copy), the suite again on the merged main, and every commit judged against bench/improve-rubric.md.
// Goals printed beside the figures: zero lost tests and zero new failures on every project; with
// the defaults, 100% of commits in the high-precision kinds.
//
// Usage: npm run build && node bench/improve-real-projects.mjs [PROJECT_DIR_OR_ARCHIVE ...]
//   [--no-corpus] [--only defaults|all] [--max-changes N] [--jobs N] [--check-timeout S]
//   [--baseline-runs N] [--timeout S]
// Projects: the corpus archives (../shared/corpus beside the checkout, or $PYAGENT_CORPUS) plus any directory or .tar.gz given.
// Markdown goes to stdout, JSON to bench/out/improve-real-projects.json.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { describeMachine } from "./machine.mjs";
import { allDeterministicAgents, corpusArchives, findPython, goalsMet, HIGH_PRECISION_KINDS, measureProject } from "./real-projects/core.mjs";
import { describeCounts } from "./real-projects/tests.mjs";

const VALUE_OPTIONS = new Set(["--only", "--max-changes", "--jobs", "--check-timeout", "--baseline-runs", "--timeout"]);

function parseArguments(argv) {
  const options = { sources: [], corpus: true };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--no-corpus") options.corpus = false;
    else if (VALUE_OPTIONS.has(argument)) {
      const value = argv[++index];
      if (value === undefined) usage(`${argument} needs a value`);
      options[argument.slice(2)] = value;
    } else if (argument.startsWith("--")) usage(`unknown option ${argument}`);
    else options.sources.push(resolve(argument));
  }
  for (const name of ["max-changes", "jobs", "check-timeout", "baseline-runs", "timeout"]) {
    if (options[name] !== undefined && !/^[1-9]\d*$/.test(options[name])) usage(`--${name} expects a positive integer, got '${options[name]}'`);
  }
  for (const source of options.sources) if (!existsSync(source)) usage(`no such project directory or archive: ${source}`);
  if (options.only !== undefined && !["defaults", "all"].includes(options.only)) usage(`--only expects defaults or all, got '${options.only}'`);
  return options;
}

function usage(message) {
  process.stderr.write(`improve-real-projects: ${message}\nusage: node bench/improve-real-projects.mjs [PROJECT ...] [--no-corpus] [--only defaults|all] [--max-changes N] [--jobs N] [--check-timeout S] [--baseline-runs N] [--timeout S]\n`);
  process.exit(2);
}

const options = parseArguments(process.argv.slice(2));
const numberOption = (name, fallback) => (options[name] === undefined ? fallback : Number(options[name]));
const settings = {
  python: findPython(),
  maxChanges: numberOption("max-changes", undefined),
  jobs: numberOption("jobs", 1),
  checkTimeout: numberOption("check-timeout", 300),
  baselineRuns: numberOption("baseline-runs", 1),
  timeoutSeconds: numberOption("timeout", 3600),
};
const everyAgent = allDeterministicAgents();
const configurations = [["defaults", undefined], ["all", everyAgent]].filter(([name]) => options.only === undefined || options.only === name);
const sources = [...(options.corpus ? corpusArchives() : []), ...options.sources];
if (sources.length === 0) usage("no projects: the corpus is missing and none was given");

const repository = resolve(import.meta.dirname, "..");
const revision = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repository, encoding: "utf8" }).trim();
// the product measured is src/ (bench/ commits do not change it): name the last commit that touched it
const sourceRevision = execFileSync("git", ["log", "-1", "--format=%h", "--", "src", "bin", "package.json"], { cwd: repository, encoding: "utf8" }).trim();
const log = (line) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const header = [
  `machine: ${describeMachine()}; load average at start ${loadavg().map((value) => value.toFixed(1)).join(" ")}`,
  `PyAgent ${revision} (src/ as of ${sourceRevision}); python ${settings.python}; improve --merge --jobs ${settings.jobs} --check-timeout ${settings.checkTimeout}${settings.maxChanges ? ` --max-changes ${settings.maxChanges}` : ""}; baseline runs ${settings.baselineRuns}`,
  `configurations: ${configurations.map(([name, agents]) => (agents ? `${name} (--agents ${agents.join(",")})` : `${name} (no --agents)`)).join("; ")}`,
];
for (const line of header) log(line);

const projects = [];
for (const source of sources) projects.push(await measureProject(source, { configurations, ...settings, log }));

const cell = (text) => String(text).replace(/\|/g, "\\|").replace(/\n/g, " ");
const percent = (share) => (share === null ? "–" : `${(share * 100).toFixed(0)}%`);
const out = [...header, ""];
out.push("Goals: 0 lost tests and 0 new failures under the project's full test command, every project and configuration; with the defaults, 100% of commits in the high-precision kinds (" + HIGH_PRECISION_KINDS.join(", ") + ").", "");
for (const project of projects) out.push(`- ${project.project}: \`${project.testCommand}\` (${project.testCommandWhy}); baseline suite ${project.baselineSeconds.toFixed(1)} s${project.flaky.length ? `; ${project.flaky.length} flaky tests left out` : ""}`);
out.push("");
out.push("| project | agents | improve exit | merged | tests before | tests after | lost tests (goal 0) | new failures (goal 0) | commits on main | by kind | high-precision share (goal 100% with defaults) | commits / 1,000 lines | s / proven change | rubric: accept / risk / undecided | tasks by PyAgent's report: committed / failed / rejected / skipped / not tried |");
out.push("|---|---|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---|---|");
for (const project of projects) {
  for (const result of project.results) {
    const goals = goalsMet(result);
    const byKind = Object.entries(result.commitsByKind).map(([kind, count]) => `${count} ${kind}`).join(", ") || "–";
    const lost = `${result.lostTests}${result.missingTests ? ` (${result.missingTests} missing${result.reappearedUnderOtherIds ? `, ${result.reappearedUnderOtherIds} under another id` : ""})` : ""}${goals.tests ? "" : " ✗"}`;
    out.push(`| ${project.project} | ${result.configuration} | ${result.improve.exitCode} | ${result.merged ? "yes" : `no (run branch: ${result.runBranchCommits} commits)`} | ${describeCounts(result.testsBefore)} | ${describeCounts(result.testsAfter)} | ${lost} | ${result.newFailures}${result.newFailures ? " ✗" : ""} | ${result.commits} | ${byKind} | ${percent(result.highPrecisionShare)}${goals.precision ? "" : " ✗"} | ${result.commitsPerThousandLines.toFixed(2)} | ${result.secondsPerProvenChange === null ? "–" : result.secondsPerProvenChange.toFixed(0)} | ${result.verdicts.accept} / ${result.verdicts.risk} / ${result.verdicts.undecided} | ${["committed", "failed", "rejected", "skipped", "planned"].map((state) => result.claimedTasks[state]).join(" / ")} |`);
  }
}
const all = projects.flatMap((project) => project.results);
const testsMet = all.every((result) => goalsMet(result).tests);
const precisionMet = all.every((result) => goalsMet(result).precision);
out.push("");
out.push(`Goal 0 lost tests / 0 new failures: ${testsMet ? "met" : "NOT met"} (${all.filter((result) => !goalsMet(result).tests).map((result) => `${result.project}/${result.configuration}`).join(", ") || "every configuration"}).`);
out.push(`Goal 100% high-precision commits with defaults: ${precisionMet ? "met" : "NOT met"}.`);
for (const project of projects) {
  for (const result of project.results.filter((entry) => entry.lostSample.length || entry.newFailureSample.length)) {
    out.push("", `${project.project}/${result.configuration}: lost (first 10): ${result.lostSample.map((test) => `${test.id} → ${test.after}`).join("; ") || "none"}; new failures (first 10): ${result.newFailureSample.map((test) => `${test.id}: ${test.before} → ${test.after}${test.message ? ` (${test.message.slice(0, 160)})` : ""}`).join("; ") || "none"}`);
  }
}
out.push("", "Every commit, judged against bench/improve-rubric.md (verdict: mechanical; the last column is for a person):", "");
out.push("| project | agents | commit | kind | subject | files | +/- lines | removes only | verdict | why | maintainer would accept? (person) |");
out.push("|---|---|---|---|---|---|---|---|---|---|---|");
for (const project of projects) {
  for (const result of project.results) {
    for (const row of result.commitRows) {
      const files = row.files.length > 3 ? `${row.files.slice(0, 3).join(", ")} +${row.files.length - 3}` : row.files.join(", ");
      out.push(`| ${project.project} | ${result.configuration} | ${row.hash} | ${row.kind} | ${cell(row.subject)} | ${cell(files)} | +${row.linesAdded}/-${row.linesRemoved} | ${row.removesOnly ? "yes" : "no"} | ${row.verdict} | ${cell(row.risks.join("; ").slice(0, 300)) || "–"} |  |`);
    }
  }
}
out.push("", `load average at end ${loadavg().map((value) => value.toFixed(1)).join(" ")}`);
process.stdout.write(`${out.join("\n")}\n`);

const folder = join(import.meta.dirname, "out");
mkdirSync(folder, { recursive: true });
writeFileSync(join(folder, "improve-real-projects.json"), `${JSON.stringify({ header, settings, revision, sourceRevision, projects }, null, 2)}\n`);
log(`JSON: ${join(folder, "improve-real-projects.json")}`);
process.exitCode = testsMet && precisionMet ? 0 : 1;
