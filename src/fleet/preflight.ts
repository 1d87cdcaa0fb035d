import { existsSync, realpathSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { PreflightError } from "./errors.js";
import { gitRun, resolveCommit } from "./git.js";
import { runProcess } from "./process.js";

export interface Preflight {
  /** Real path of the repository's top level. */
  root: string;
  /** The commit the run starts from (HEAD; uncommitted changes are not part of the run). */
  headCommit: string;
  /** The branch HEAD points at, or null when HEAD is detached. */
  branch: string | null;
  /** Python interpreter that runs the checks. */
  python: string;
  pythonVersion: string;
}

/**
 * Checks that PATH can be improved: an existing folder that is the top level of a git work tree
 * with at least one commit holding Python files, and a Python interpreter. Reads only; never writes.
 */
export async function preflight(pathArgument: string, options: { python?: string } = {}): Promise<Preflight> {
  const absolute = resolve(pathArgument);
  if (!existsSync(absolute)) throw new PreflightError(`${pathArgument}: no such file or directory`);
  if (!statSync(absolute).isDirectory()) throw new PreflightError(`${pathArgument}: not a directory (improve takes the folder of a git repository)`);
  const root = realpathSync(absolute);
  const top = await gitRun(root, ["rev-parse", "--show-toplevel"], { allow: [128] }).catch((error: Error) => {
    throw new PreflightError(`${pathArgument}: cannot run git (${error.message}); install git`);
  });
  if (top.code !== 0) throw new PreflightError(`${pathArgument} is not a git repository: run 'git init' and commit your code first`);
  const topLevel = realpathSync(top.stdout.trim());
  if (topLevel !== root) throw new PreflightError(`${pathArgument} is inside the git repository ${topLevel}: run pyagent improve on the repository's top level`);
  const headCommit = await resolveCommit(root, "HEAD");
  if (!headCommit) throw new PreflightError(`${pathArgument}: the repository has no commits yet; commit your code first (the run starts from HEAD)`);
  const files = await gitRun(root, ["ls-tree", "-r", "-z", "--name-only", headCommit]);
  if (!files.stdout.split("\0").some((path) => path.endsWith(".py"))) {
    throw new PreflightError(`${pathArgument}: no Python files in the last commit (HEAD ${headCommit.slice(0, 12)}); nothing to improve`);
  }
  const symbolic = await gitRun(root, ["symbolic-ref", "-q", "HEAD"], { allow: [1] });
  const branch = symbolic.code === 0 ? symbolic.stdout.trim().replace(/^refs\/heads\//, "") : null;
  const { python, version } = await findPython(root, options.python);
  return { root, headCommit, branch, python, pythonVersion: version };
}

/** The interpreter: `--python`, else $PYAGENT_PYTHON, else python3 or python on PATH. */
export async function findPython(cwd: string, explicit?: string): Promise<{ python: string; version: string }> {
  const candidates = explicit ? [explicit] : process.env.PYAGENT_PYTHON ? [process.env.PYAGENT_PYTHON] : ["python3", "python"];
  for (const candidate of candidates) {
    const result = await runProcess(candidate, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)"], { cwd, timeoutMs: 30_000 });
    if (result.code === 0) {
      const [version = "", executable = ""] = result.stdout.trim().split("\n");
      if (!version.startsWith("3.")) throw new PreflightError(`${candidate} is Python ${version}; PyAgent needs Python 3 (pass --python PATH)`);
      // The real interpreter, not a launcher shim (pyenv's costs ~0.3 s per start, on every check).
      return { python: executable.trim() || candidate, version };
    }
  }
  const tried = candidates.join(", ");
  throw new PreflightError(
    explicit
      ? `Python not found: '${explicit}' does not run; pass --python with a working Python 3 interpreter`
      : `Python not found (tried ${tried} on PATH): install Python 3 or pass --python PATH`,
  );
}
