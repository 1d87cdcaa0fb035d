import { runProcess } from "./process.js";
import { GitError } from "./errors.js";

/** Identity of the commits PyAgent makes (the user's identity is never needed or changed). */
export const PYAGENT_IDENTITY = { name: "PyAgent", email: "pyagent@localhost" } as const;

export interface GitOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Exit codes other than 0 that are answers, not failures (e.g. 1 for `merge-base --is-ancestor`). */
  allow?: number[];
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment for git: no prompts, no pager, no locale surprises in messages we parse. */
function gitEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat", LC_ALL: "C", GIT_OPTIONAL_LOCKS: "0", ...extra };
}

/** Runs `git args` in `cwd`; throws GitError (command + stderr) unless the exit code is 0 or allowed. */
export async function gitRun(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const result = await runProcess("git", args, { cwd, env: gitEnv(options.env), input: options.input });
  if (result.spawnError) throw new GitError(args, `cannot run git: ${result.spawnError}`, null, cwd);
  const code = result.code ?? -1;
  if (code !== 0 && !(options.allow ?? []).includes(code)) throw new GitError(args, result.stderr || result.stdout, code, cwd);
  return { code, stdout: result.stdout, stderr: result.stderr };
}

/** Runs git and returns stdout without the trailing newline. */
export async function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  return (await gitRun(cwd, args, options)).stdout.replace(/\n$/, "");
}

/** The commit `rev` names, or undefined when it names none. */
export async function resolveCommit(cwd: string, rev: string): Promise<string | undefined> {
  const result = await gitRun(cwd, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { allow: [1, 128] });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

export async function isAncestor(cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  const result = await gitRun(cwd, ["merge-base", "--is-ancestor", ancestor, descendant], { allow: [1] });
  return result.code === 0;
}

/** Environment that makes PyAgent the author and committer of a commit. */
export function commitEnv(): NodeJS.ProcessEnv {
  return {
    GIT_AUTHOR_NAME: PYAGENT_IDENTITY.name,
    GIT_AUTHOR_EMAIL: PYAGENT_IDENTITY.email,
    GIT_COMMITTER_NAME: PYAGENT_IDENTITY.name,
    GIT_COMMITTER_EMAIL: PYAGENT_IDENTITY.email,
  };
}

/** Moves `ref` to `next` only if it still points at `expected` (git's compare-and-swap); false when it moved. */
export async function compareAndSwapRef(cwd: string, ref: string, next: string, expected: string, reason: string): Promise<boolean> {
  const result = await gitRun(cwd, ["update-ref", "-m", reason, ref, next, expected], { allow: [1, 128] });
  return result.code === 0;
}

/** Parses `key: value` trailers at the end of a commit message. */
export function parseTrailers(message: string): Map<string, string> {
  const trailers = new Map<string, string>();
  for (const line of message.trim().split("\n").reverse()) {
    const match = /^([A-Za-z][A-Za-z0-9-]*):\s(.*)$/.exec(line);
    if (!match) break;
    trailers.set(match[1]!, match[2]!);
  }
  return trailers;
}
