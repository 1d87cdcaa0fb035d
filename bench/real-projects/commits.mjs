// The commits a run left on a branch, read from git (not from the run's own report), and each one
// judged against bench/improve-rubric.md where the rubric can be applied mechanically.
import { execFileSync, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { exportTree } from "./tests.mjs";

/** The kinds a maintainer accepts without discussion (issue 11: unused imports, unused locals, unreachable code). */
export const HIGH_PRECISION_KINDS = ["unused-imports", "unused-variables", "dead-code"];

function git(root, ...args) {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
}

/** Trailers of a commit message (the trailing `Key: value` block). */
export function trailersOf(message) {
  const trailers = {};
  for (const line of message.trim().split("\n").reverse()) {
    const match = /^([A-Za-z][A-Za-z0-9-]*):\s(.*)$/.exec(line);
    if (!match) break;
    trailers[match[1]] = match[2];
  }
  return trailers;
}

/** Non-merge commits in `base..ref`, oldest first, with their kind (the PyAgent-Agent trailer). */
export function commitsBetween(root, base, ref) {
  const log = git(root, "log", "--reverse", "--no-merges", "--format=%H%x00%P%x00%B%x1e", `${base}..${ref}`);
  return log.split("\x1e").map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const [hash, parents, message] = entry.split("\0");
    const trailers = trailersOf(message);
    const files = git(root, "diff", "--name-only", "-z", parents.split(" ")[0], hash).split("\0").filter(Boolean);
    return { hash, parent: parents.split(" ")[0], subject: message.split("\n")[0], kind: trailers["PyAgent-Agent"] ?? "not PyAgent", task: trailers["PyAgent-Task"] ?? null, files };
  });
}

/** Lines of Python tracked at `ref` (every line of every *.py file, tests included). */
export function pythonLines(root, ref) {
  const counts = git(root, "grep", "-c", "", ref, "--", "*.py");
  return counts.split("\n").filter(Boolean).reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(":") + 1)), 0);
}

/** Test code by the usual conventions (pytest's and unittest's discovery names, tests/ folders, conftest). */
export function isTestFile(path) {
  return /(^|\/)(tests?|testing)\//.test(path) || /(^|\/)(test_[^/]*|[^/]*_tests?|conftest)\.py$/.test(path);
}

/** `pkg/mod.py`, `pkg/mod/__init__.py`, `src/pkg/mod.py` → `pkg.mod`; null for a non-Python path. */
export function moduleNameOf(path) {
  if (!path.endsWith(".py")) return null;
  const parts = path.replace(/^src\//, "").slice(0, -3).split("/");
  if (parts.at(-1) === "__init__") parts.pop();
  return parts.length > 0 && parts.every((part) => /^[A-Za-z_]\w*$/.test(part)) ? parts.join(".") : null;
}

const TOKEN = /[A-Za-z_]\w*|\d[\w.]*|"[^"]*"|'[^']*'|[^\s\w(),\\]/g;

/**
 * True when every line the diff adds is made of tokens the same hunk removes (`from a import b, c`
 * → `from a import b`; `x = f()` → `f()`; `except E as e:` → `except E:`), or is `pass` (a body
 * emptied): the change only takes things away. New files and any new token make it false.
 */
export function removesOnly(unifiedDiff) {
  let removed = new Map();
  let added = [];
  let sound = true;
  const closeHunk = () => {
    for (const token of added) {
      const left = removed.get(token) ?? 0;
      if (left === 0) sound = false;
      removed.set(token, left - 1);
    }
    removed = new Map();
    added = [];
  };
  for (const line of unifiedDiff.split("\n")) {
    if (line.startsWith("@@") || line.startsWith("diff --git")) closeHunk();
    else if (line.startsWith("--- /dev/null")) sound = false;
    else if (line.startsWith("---") || line.startsWith("+++")) continue;
    else if (line.startsWith("-")) for (const token of line.slice(1).match(TOKEN) ?? []) removed.set(token, (removed.get(token) ?? 0) + 1);
    else if (line.startsWith("+") && line.slice(1).trim() !== "pass") added.push(...(line.slice(1).match(TOKEN) ?? []));
  }
  closeHunk();
  return sound;
}

// Imports each module and prints its top-level names: kind (module / own / imported), the value's
// __module__ and, for classes, whether it is a class. Run in an exported tree with a time limit.
const NAMESPACE_SCRIPT = String.raw`
import importlib, json, sys, types, os, io, contextlib
sys.path.insert(0, os.getcwd())
if os.path.isdir("src"): sys.path.insert(0, os.path.join(os.getcwd(), "src"))
result = {}
for name in sys.argv[1:]:
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            module = importlib.import_module(name)
    except BaseException as error:
        result[name] = {"error": type(error).__name__ + ": " + str(error)[:200]}
        continue
    names = {}
    exported = set(getattr(module, "__all__", []) or [])
    for key in dir(module):
        value = getattr(module, key, None)
        owner = getattr(value, "__module__", None) if not isinstance(value, types.ModuleType) else None
        kind = "module" if isinstance(value, types.ModuleType) else ("imported" if isinstance(owner, str) and owner != name else "own")
        names[key] = {"kind": kind, "owner": owner if isinstance(owner, str) else None, "isClass": isinstance(value, type), "exported": key in exported}
    result[name] = {"names": names, "isPackage": hasattr(module, "__path__")}
print(json.dumps(result))
`;

/** Module name → its namespace (or import error) in the tree of `ref`. */
function namespaces(root, ref, modules, python) {
  if (modules.length === 0) return {};
  const tree = exportTree(root, ref);
  try {
    const result = spawnSync(python, ["-c", NAMESPACE_SCRIPT, ...modules], { cwd: tree, encoding: "utf8", timeout: 120_000, maxBuffer: 1 << 26, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
    const line = (result.stdout ?? "").trim().split("\n").at(-1) ?? "";
    try {
      return JSON.parse(line);
    } catch {
      return Object.fromEntries(modules.map((module) => [module, { error: `namespace probe failed: ${(result.stderr ?? "").split("\n").slice(-3).join(" ")}` }]));
    }
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

/**
 * What a commit did to the importable names of the (non-test) modules it touched: names of the
 * module's own definitions that are gone, re-exports that are gone (a name in `__all__`, or a
 * public name a package's `__init__` imported: users import those; an unused import in a plain
 * module is not counted), and classes whose `__module__` changed (pickles name the new path).
 */
export function namespaceChanges(root, commit, python) {
  const modules = [...new Set(commit.files.filter((file) => !isTestFile(file)).map(moduleNameOf).filter(Boolean))];
  const before = namespaces(root, commit.parent, modules, python);
  const after = namespaces(root, commit.hash, modules, python);
  const changes = { ownRemoved: [], reexportRemoved: [], classesMoved: [], importBroken: [] };
  for (const module of modules) {
    const old = before[module]?.names;
    if (!old) continue;
    const now = after[module];
    if (!now?.names) {
      changes.importBroken.push(`${module} (${now?.error ?? "not importable"})`);
      continue;
    }
    for (const [name, info] of Object.entries(old)) {
      if (name.startsWith("__") && name.endsWith("__")) continue;
      const current = now.names[name];
      if (!current) {
        if (info.kind === "own") changes.ownRemoved.push(`${module}.${name}`);
        else if (info.exported || (before[module].isPackage && info.kind !== "module" && !name.startsWith("_"))) changes.reexportRemoved.push(`${module}.${name}`);
      } else if (info.isClass && info.kind === "own" && current.owner !== info.owner) {
        changes.classesMoved.push(`${module}.${name} → ${current.owner}`);
      }
    }
  }
  return changes;
}

/**
 * The mechanical part of bench/improve-rubric.md for one commit: `accept` when every decidable
 * question says safe, `risk` with the reasons when one says a user could break, `undecided` when
 * the kind is not one the rubric can settle mechanically (a person decides).
 */
export function judgeCommit(root, commit, python) {
  const diff = git(root, "diff", "-U0", commit.parent, commit.hash, "--", "*.py");
  const added = diff.split("\n").filter((line) => line.startsWith("+") && !line.startsWith("+++")).length;
  const removed = diff.split("\n").filter((line) => line.startsWith("-") && !line.startsWith("---")).length;
  const highPrecision = HIGH_PRECISION_KINDS.includes(commit.kind);
  const onlyRemoves = removesOnly(diff);
  const testsTouched = commit.files.filter(isTestFile);
  const names = namespaceChanges(root, commit, python);
  const risks = [];
  if (names.importBroken.length) risks.push(`module no longer imports: ${names.importBroken.join(", ")}`);
  if (names.ownRemoved.length) risks.push(`removes importable names: ${names.ownRemoved.join(", ")}`);
  if (names.reexportRemoved.length) risks.push(`removes re-exported names: ${names.reexportRemoved.join(", ")}`);
  if (names.classesMoved.length) risks.push(`classes change __module__ (pickle path): ${names.classesMoved.join(", ")}`);
  if (testsTouched.length && !highPrecision) risks.push(`edits tests (${testsTouched.length} files) with a ${commit.kind} change`);
  if (highPrecision && !onlyRemoves) risks.push("a high-precision kind whose diff adds code");
  const verdict = risks.length > 0 ? "risk" : highPrecision && onlyRemoves ? "accept" : "undecided";
  return { ...commit, highPrecision, removesOnly: onlyRemoves, linesAdded: added, linesRemoved: removed, testsTouched, names, risks, verdict };
}
