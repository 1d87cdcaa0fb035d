// A project's full test suite, run and read by the benchmark itself (not through PyAgent): which
// command the project's own tooling runs, each test's node id and outcome, and what a change did
// to them. The benchmark must not trust the product it measures, so nothing here imports src/.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The full test command of the projects the benchmark knows, as each project's own tooling runs
 * it; a project not listed gets plain pytest. `args` follow `python -m pytest` or `python -m unittest`.
 */
export const KNOWN_TEST_COMMANDS = {
  boltons: { runner: "pytest", args: ["--doctest-modules", "boltons", "tests"], why: "boltons' tox.ini runs `pytest --doctest-modules boltons tests`" },
  sqlparse: { runner: "pytest", args: [], why: "sqlparse's Makefile and CI run `pytest`" },
  "more-itertools": { runner: "unittest", args: [], why: "more-itertools' tox.ini and Makefile run `python -m unittest -v`" },
  click: { runner: "pytest", args: ["-v", "--tb=short"], pythonPath: ["src"], why: "click's tox (pyproject [tool.tox.env_run_base]) runs `pytest -v --tb=short` on the installed package; here src/ on PYTHONPATH" },
};

/** The project's full test command: from the table above, else plain pytest. */
export function testCommandFor(project) {
  return KNOWN_TEST_COMMANDS[project] ?? { runner: "pytest", args: [], why: `${project} is not in the benchmark's table: plain \`pytest\`` };
}

export function describeCommand(command) {
  return `python -m ${command.runner}${command.runner === "unittest" ? " -v" : ""}${command.args.length ? ` ${command.args.join(" ")}` : ""}`;
}

/** The outcomes that count as a passing test (a non-strict xpass passes). */
const PASSING = new Set(["passed"]);
const FAILING = new Set(["failed", "error"]);
/** When one id is reported twice (a test passing with an erroring teardown), the worse outcome wins. */
const SEVERITY = ["passed", "xfailed", "skipped", "failed", "error"];

function record(outcomes, id, outcome) {
  const previous = outcomes.get(id);
  if (previous === undefined || SEVERITY.indexOf(outcome) > SEVERITY.indexOf(previous)) outcomes.set(id, outcome);
}

function decodeXml(text) {
  return text.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-fA-F]+));/g, (whole, name, decimal, hex) => {
    if (decimal) return String.fromCodePoint(Number(decimal));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return { lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" }[name] ?? whole;
  });
}

/**
 * Node id → outcome from pytest's JUnit XML (id: `classname::name`, as pytest writes them);
 * `messages` receives the failure or error message of each test that did not pass.
 */
export function parseJunitXml(xml, messages = new Map()) {
  const outcomes = new Map();
  const testcase = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const attributes = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((attribute) => [attribute[1], decodeXml(attribute[2])]));
    const body = match[3] ?? "";
    const id = attributes.classname ? `${attributes.classname}::${attributes.name}` : attributes.name;
    let outcome = "passed";
    if (/<error\b/.test(body)) outcome = "error";
    else if (/<failure\b/.test(body)) outcome = "failed";
    else if (/<skipped\b[^>]*type="pytest\.xfail"/.test(body)) outcome = "xfailed";
    else if (/<skipped\b/.test(body)) outcome = "skipped";
    record(outcomes, id, outcome);
    const message = /<(?:error|failure)\b[^>]*?message="([^"]*)"/.exec(body);
    if (message) messages.set(id, decodeXml(message[1]).slice(0, 300));
  }
  return outcomes;
}

const UNITTEST_RESULTS = [
  [/^ok$/, "passed"],
  [/^FAIL$/, "failed"],
  [/^ERROR$/, "error"],
  [/^skipped\b/, "skipped"],
  [/^expected failure$/, "xfailed"],
  [/^unexpected success$/, "failed"],
];

function unittestOutcome(result) {
  return UNITTEST_RESULTS.find(([pattern]) => pattern.test(result.trim()))?.[1];
}

/**
 * Node id → outcome from `python -m unittest -v` output. A test is `name (module.Class.name) ... ok`;
 * a docstring puts the result on the next line (`docstring first line ... ok`); doctests read
 * `function (module)` then `Doctest: module.function ... ok`. The id is the dotted name of the
 * test (`module.Class.name`, `module.function`), else the description.
 */
export function parseUnittestVerbose(text) {
  const outcomes = new Map();
  let pending;
  for (const line of text.split("\n")) {
    const described = /^(\S+) \(([\w.]+)\)(?: \.\.\. (.*))?$/.exec(line);
    if (described) {
      // `name (module.Class.name)` on 3.11+, `name (module.Class)` before, `function (module)` for doctests
      const id = described[2].endsWith(`.${described[1]}`) ? described[2] : `${described[2]}.${described[1]}`;
      if (described[3] === undefined) {
        pending = id;
        continue;
      }
      const outcome = unittestOutcome(described[3]);
      if (outcome) record(outcomes, id, outcome);
      pending = undefined;
      continue;
    }
    const result = /^(.*) \.\.\. (.*)$/.exec(line);
    if (result) {
      const outcome = unittestOutcome(result[2]);
      if (outcome) record(outcomes, pending ?? result[1], outcome);
      pending = undefined;
    }
  }
  return outcomes;
}

/** Writes the tree of `ref` into a fresh temp folder (no .pyagent, no stale bytecode, exactly what is committed). */
export function exportTree(root, ref) {
  const folder = mkdtempSync(join(tmpdir(), "pyagent-bench-tree-"));
  execFileSync("sh", ["-c", 'git archive "$1" | tar -x -C "$2"', "sh", ref, folder], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  return folder;
}

/**
 * Runs the project's full test command on the tree of `ref` and returns every test's outcome.
 * `status` is the command's exit code (null when killed by the time limit).
 */
export function runTestSuite(root, ref, command, { python, timeoutSeconds = 900 }) {
  const tree = exportTree(root, ref);
  const report = join(mkdtempSync(join(tmpdir(), "pyagent-bench-junit-")), "report.xml");
  const started = performance.now();
  try {
    const args = command.runner === "pytest" ? ["-m", "pytest", "-q", "-p", "no:cacheprovider", `--junitxml=${report}`, ...command.args] : ["-m", "unittest", "-v", ...command.args];
    const result = spawnSync(python, args, { cwd: tree, encoding: "utf8", maxBuffer: 1 << 28, timeout: timeoutSeconds * 1000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONHASHSEED: "0", ...(command.pythonPath ? { PYTHONPATH: command.pythonPath.map((folder) => join(tree, folder)).join(":") } : {}) } });
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    const messages = new Map();
    const outcomes = command.runner === "pytest" ? (existsSync(report) ? parseJunitXml(readFileSync(report, "utf8"), messages) : new Map()) : parseUnittestVerbose(result.stderr ?? "");
    return { outcomes, messages, status: result.status, seconds: (performance.now() - started) / 1000, tail: output.split("\n").slice(-15).join("\n") };
  } finally {
    rmSync(tree, { recursive: true, force: true });
    rmSync(join(report, ".."), { recursive: true, force: true });
  }
}

/** Outcome → count, for one line of figures. */
export function countOutcomes(outcomes) {
  const counts = { passed: 0, failed: 0, error: 0, skipped: 0, xfailed: 0 };
  for (const outcome of outcomes.values()) counts[outcome] += 1;
  return counts;
}

export function describeCounts(counts) {
  return Object.entries(counts).filter(([, count]) => count > 0).map(([outcome, count]) => `${count} ${outcome}`).join(", ") || "no tests";
}

/** The tests whose outcome differed between baseline runs: not blamed on a change. */
export function flakyTests(runs) {
  const flaky = new Set();
  for (const id of new Set(runs.flatMap((run) => [...run.keys()]))) {
    if (new Set(runs.map((run) => run.get(id) ?? "missing")).size > 1) flaky.add(id);
  }
  return flaky;
}

/**
 * A node id without its module, for spotting a test that moved to another module: `Class::test`
 * or `test[param]` (pytest), the qualified name inside the module (a doctest), `Class.test` or
 * `function` (unittest).
 */
function leafName(id) {
  const separator = id.indexOf("::");
  if (separator < 0) {
    const parts = id.split(".");
    return parts.length > 1 && /^[A-Z]/.test(parts.at(-2)) ? parts.slice(-2).join(".") : parts.at(-1);
  }
  const classname = id.slice(0, separator);
  const name = id.slice(separator + 2);
  if (name.startsWith(`${classname}.`)) return name.slice(classname.length + 1);
  const last = classname.split(".").at(-1);
  return /^[A-Z]/.test(last) ? `${last}::${name}` : name;
}

/**
 * What a change did to the suite, by node id. Lost: passed before and is missing or not passing
 * after (a test that moved to another id and passes there is still lost from its id, since the
 * proof must count it; `reappeared` says how many of the missing ones look moved). New failures:
 * failing or erroring after and not before (new ids included). Flaky tests are left out of both.
 */
export function compareSuites(before, after, flaky = new Set()) {
  const lost = [];
  const missing = [];
  const newFailures = [];
  for (const [id, outcome] of before) {
    if (!PASSING.has(outcome) || flaky.has(id)) continue;
    const now = after.get(id);
    if (now === undefined) missing.push(id);
    if (!PASSING.has(now)) lost.push({ id, after: now ?? "missing" });
  }
  for (const [id, outcome] of after) {
    if (FAILING.has(outcome) && !FAILING.has(before.get(id)) && !flaky.has(id)) newFailures.push({ id, before: before.get(id) ?? "absent", after: outcome });
  }
  const added = new Map();
  for (const [id, outcome] of after) if (!before.has(id) && PASSING.has(outcome)) added.set(leafName(id), id);
  const reappeared = missing.filter((id) => added.has(leafName(id))).length;
  return { lost, missing: missing.length, reappeared, newFailures };
}
