// The real-project benchmark's core, shared by bench/improve-real-projects.mjs and the CI test
// test/fleet/real-project.test.ts: a real project in a fresh git repository, its full test suite
// at baseline, `pyagent improve --merge` (the built CLI, as a user runs it), the suite again on the
// merged branch, and every commit that landed judged against bench/improve-rubric.md.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { commitsBetween, HIGH_PRECISION_KINDS, judgeCommit, pythonLines } from "./commits.mjs";
import { compareSuites, countOutcomes, describeCommand, flakyTests, runTestSuite, testCommandFor } from "./tests.mjs";

export const BIN = resolve(import.meta.dirname, "../../bin/pyagent.js");
/**
 * The team's corpus of real projects: $PYAGENT_CORPUS, else `../shared/corpus` beside the
 * checkout (where CI keeps it), else /work/shared/corpus.
 */
export const CORPUS = [process.env.PYAGENT_CORPUS, resolve(import.meta.dirname, "../../../shared/corpus"), "/work/shared/corpus"].find((folder) => folder && existsSync(folder)) ?? resolve(import.meta.dirname, "../../../shared/corpus");

/** The interpreter with pytest (Debian's /usr/bin/python3 has it). */
export function findPython() {
  for (const candidate of ["/usr/bin/python3", "python3"]) {
    try {
      execFileSync(candidate, ["-m", "pytest", "--version"], { stdio: "ignore" });
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error("no python3 with pytest found: install pytest (apt-get install python3-pytest)");
}

/** `boltons-967864f.tar.gz` → `boltons`; `/tmp/x/more-itertools` → `more-itertools`. */
export function projectNameOf(source) {
  return basename(source).replace(/\.(tar\.gz|tgz|tar)$/, "").replace(/-[0-9a-f]{7,40}$/, "");
}

/** The corpus archives (one per project). */
export function corpusArchives() {
  return existsSync(CORPUS) ? readdirSync(CORPUS).filter((name) => /\.(tar\.gz|tgz)$/.test(name)).sort().map((name) => join(CORPUS, name)) : [];
}

function git(root, ...args) {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 28, env: { ...process.env, LC_ALL: "C" } }).trim();
}

/**
 * A fresh git repository on `main` holding the project (an archive, whose single top folder is
 * unwrapped, or a directory, copied without its .git), everything in one commit.
 */
export function prepareProject(source, destination) {
  if (statSync(source).isDirectory()) {
    cpSync(source, destination, { recursive: true, filter: (path) => ![".git", ".pyagent", ".tox", "__pycache__"].includes(basename(path)) });
  } else {
    const staging = `${destination}-extract`;
    mkdirSync(staging, { recursive: true });
    execFileSync("tar", ["-xf", source, "-C", staging]);
    const entries = readdirSync(staging);
    const single = entries.length === 1 && statSync(join(staging, entries[0])).isDirectory();
    renameSync(single ? join(staging, entries[0]) : staging, destination);
    rmSync(staging, { recursive: true, force: true });
  }
  git(destination, "init", "-q", "-b", "main");
  git(destination, "config", "user.name", "PyAgent Bench");
  git(destination, "config", "user.email", "bench@localhost");
  git(destination, "add", "-A");
  git(destination, "commit", "-q", "--no-verify", "-m", "snapshot");
  return destination;
}

/** A fresh copy of a prepared repository (each configuration runs on its own). */
export function copyRepository(template, destination) {
  cpSync(template, destination, { recursive: true });
  return destination;
}

/** Every deterministic agent of the built CLI, read from `pyagent improve --help`. */
export function allDeterministicAgents() {
  const help = execFileSync(process.execPath, [BIN, "improve", "--help"], { encoding: "utf8" }).replace(/\s+/g, " ");
  // "Default: a, b, c (why); opt-in: d, e (why); LLM agents ..."
  const defaults = /Default: (.*?) \(/.exec(help);
  const optIn = /opt-in: (.*?) \(/.exec(help);
  if (!defaults || !optIn) throw new Error("cannot read the agent list from `pyagent improve --help`");
  return [defaults[1], optIn[1]].flatMap((list) => list.split(",")).map((name) => name.trim()).filter(Boolean);
}

/**
 * Runs `pyagent improve PATH --merge` with the built CLI; resolves with its exit code, wall time,
 * JSON report (when it printed one) and the end of its progress output.
 */
export function runImprove(root, { agents, maxChanges, jobs = 1, checkTimeout = 300, python, timeoutSeconds = 3600 }) {
  const args = [BIN, "improve", root, "--merge", "--format", "json", "--jobs", String(jobs), "--check-timeout", String(checkTimeout), "--python", python];
  if (agents) args.push("--agents", agents.join(","));
  if (maxChanges) args.push("--max-changes", String(maxChanges));
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGINT"), timeoutSeconds * 1000);
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      let report = null;
      try {
        report = JSON.parse(stdout);
      } catch {
        report = null;
      }
      resolvePromise({ command: `pyagent ${args.slice(1).join(" ")}`, exitCode: code, seconds: (performance.now() - started) / 1000, report, stderrTail: stderr.split("\n").slice(-20).join("\n") });
    });
  });
}

/** The project's suite at baseline, `runs` times (tests whose outcome differs between runs are flaky). */
export function measureBaseline(root, command, { python, runs = 1, timeoutSeconds }) {
  const suites = [];
  for (let index = 0; index < runs; index++) suites.push(runTestSuite(root, "HEAD", command, { python, timeoutSeconds }));
  return { suite: suites[0], flaky: flakyTests(suites.map((suite) => suite.outcomes)) };
}

/**
 * One configuration on one project: improve --merge on a fresh copy of `template`, then the full
 * suite on the merged `main` compared with `baseline`, and every landed commit judged.
 */
export async function measureConfiguration({ template, name, configuration, agents, baseline, command, python, maxChanges, jobs, checkTimeout, timeoutSeconds }) {
  const root = copyRepository(template, mkdtempSync(join(tmpdir(), `pyagent-bench-${name}-${configuration}-`)));
  try {
    const base = git(root, "rev-parse", "HEAD");
    const improve = await runImprove(root, { agents, maxChanges, jobs, checkTimeout, python, timeoutSeconds });
    const main = git(root, "rev-parse", "main");
    const runBranch = improve.report?.runBranch ?? null;
    const runBranchCommits = runBranch && git(root, "branch", "--list", runBranch) ? commitsBetween(root, base, runBranch).length : 0;
    const after = main === base ? baseline.suite : runTestSuite(root, main, command, { python, timeoutSeconds });
    const comparison = compareSuites(baseline.suite.outcomes, after.outcomes, baseline.flaky);
    for (const failure of comparison.newFailures) failure.message = after.messages.get(failure.id);
    const commits = commitsBetween(root, base, main).map((commit) => judgeCommit(root, commit, python));
    const lines = pythonLines(root, base);
    const byKind = {};
    for (const commit of commits) byKind[commit.kind] = (byKind[commit.kind] ?? 0) + 1;
    const highPrecision = commits.filter((commit) => commit.highPrecision).length;
    const claimed = improve.report?.tasks ?? [];
    return {
      project: name,
      configuration,
      agents: agents ?? "defaults",
      improve: { command: improve.command, exitCode: improve.exitCode, seconds: improve.seconds, stderrTail: improve.exitCode === 0 ? undefined : improve.stderrTail },
      merged: main !== base,
      runBranchCommits,
      claimedTasks: Object.fromEntries(["committed", "failed", "rejected", "skipped", "planned"].map((state) => [state, claimed.filter((task) => task.state === state).length])),
      testsBefore: countOutcomes(baseline.suite.outcomes),
      testsAfter: countOutcomes(after.outcomes),
      testStatusAfter: after.status,
      lostTests: comparison.lost.length,
      missingTests: comparison.missing,
      reappearedUnderOtherIds: comparison.reappeared,
      newFailures: comparison.newFailures.length,
      lostSample: comparison.lost.slice(0, 10),
      newFailureSample: comparison.newFailures.slice(0, 10),
      lost: comparison.lost,
      newFailureList: comparison.newFailures,
      commits: commits.length,
      commitsByKind: byKind,
      highPrecisionShare: commits.length ? highPrecision / commits.length : null,
      pythonLines: lines,
      commitsPerThousandLines: (commits.length * 1000) / lines,
      secondsPerProvenChange: commits.length ? improve.seconds / commits.length : null,
      verdicts: Object.fromEntries(["accept", "risk", "undecided"].map((verdict) => [verdict, commits.filter((commit) => commit.verdict === verdict).length])),
      commitRows: commits.map((commit) => ({ hash: commit.hash.slice(0, 10), kind: commit.kind, subject: commit.subject, files: commit.files, linesAdded: commit.linesAdded, linesRemoved: commit.linesRemoved, removesOnly: commit.removesOnly, testsTouched: commit.testsTouched, risks: commit.risks, verdict: commit.verdict, personJudgement: null })),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Whether a configuration meets issue 11's goals (high-precision share only for the defaults). */
export function goalsMet(result) {
  const tests = result.lostTests === 0 && result.newFailures === 0;
  const precision = result.configuration !== "defaults" || result.commits === 0 || result.highPrecisionShare === 1;
  return { tests, precision };
}

/** The whole benchmark for one project source: prepare, baseline, each configuration. */
export async function measureProject(source, { configurations, python, maxChanges, jobs, checkTimeout, baselineRuns = 1, timeoutSeconds, log = () => {} }) {
  const name = projectNameOf(source);
  const command = testCommandFor(name);
  const workspace = mkdtempSync(join(tmpdir(), `pyagent-bench-${name}-`));
  try {
    const template = prepareProject(source, join(workspace, name));
    log(`${name}: full test command \`${describeCommand(command)}\` (${command.why})`);
    const baseline = measureBaseline(template, command, { python, runs: baselineRuns, timeoutSeconds });
    log(`${name}: baseline ${JSON.stringify(countOutcomes(baseline.suite.outcomes))} in ${baseline.suite.seconds.toFixed(1)} s, ${baseline.flaky.size} flaky over ${baselineRuns} run(s)`);
    const results = [];
    for (const [configuration, agents] of configurations) {
      log(`${name}: improve --merge with ${agents ? `--agents ${agents.join(",")}` : "the default agents"}...`);
      const result = await measureConfiguration({ template, name, configuration, agents, baseline, command, python, maxChanges, jobs, checkTimeout, timeoutSeconds });
      log(`${name}/${configuration}: exit ${result.improve.exitCode} in ${result.improve.seconds.toFixed(0)} s, ${result.commits} commits on main, lost ${result.lostTests}, new failures ${result.newFailures}`);
      results.push(result);
    }
    return { project: name, source, testCommand: describeCommand(command), testCommandWhy: command.why, baselineSeconds: baseline.suite.seconds, flaky: [...baseline.flaky], results };
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

export { HIGH_PRECISION_KINDS };
