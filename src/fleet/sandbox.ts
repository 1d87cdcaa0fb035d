import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { z } from "zod";
import { SandboxUnavailableError } from "./errors.js";
import { runProcess, type Invocation, type ProcessSandbox } from "./process.js";

/**
 * The sandbox every proof process (compileall, pytest, pyright, import timing) runs in. Layers,
 * outermost first: a pids cgroup (where one can be made) and rlimits via `prlimit` bound the
 * processes, CPU time, address space and file size; bubblewrap gives the program a read-only view
 * of the machine with the task's worktree (and its bytecode cache) writable, a private /tmp, the
 * user's homes, /run, the main checkout's .git and .pyagent hidden, no network, its own pid, IPC
 * and UTS namespaces, no capabilities, and death with PyAgent; the environment is cut to an
 * allow-list. docs/security.md says what each layer stops and what it does not.
 */

/** `auto`: bubblewrap when it works here, else no isolation (model-written code is then refused). */
export type SandboxMode = "auto" | "bwrap" | "off";
export const SANDBOX_MODES: readonly SandboxMode[] = ["auto", "bwrap", "off"];

/** 0 = no limit. Memory is the address space of each process; processes count the whole sandbox where a cgroup can be made. */
export interface SandboxLimits {
  cpuSeconds: number;
  memoryMb: number;
  processes: number;
  fileMb: number;
  tmpMb: number;
}

/** Environment variables a proof keeps (besides those the user allows): what Python and the checks need, nothing secret (bubblewrap points HOME and TMPDIR into the sandbox). */
const ENVIRONMENT_ALLOWED = ["PATH", "HOME", "TMPDIR", "LANG", "LANGUAGE", "TERM", "TZ", "PYTHONPYCACHEPREFIX", "PYTHONPATH", "PYTHONUNBUFFERED", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONHASHSEED", "PY_COLORS", "NO_COLOR"];
/** Names the repository's pyproject.toml may not let through (it is repository content: anyone who can commit may edit it). */
export const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|SESSION|COOKIE|AUTH)|^(AWS|AZURE|GOOGLE|GCP|OPENAI|ANTHROPIC|GEMINI|HF|HUGGING|GITHUB|GH|GITLAB|NPM|PYPI|TWINE|DOCKER|SSH)_/i;

export interface SandboxRequest {
  mode: SandboxMode;
  /** The repository's top level: readable; its .git and .pyagent are hidden. */
  root: string;
  python: string;
  /** PYTHONPYCACHEPREFIX of the checks. */
  pycacheDir: string;
  /** Extra environment variable names a proof may see (`sandbox-env`, `--sandbox-env`). */
  allowEnv: readonly string[];
  limits: SandboxLimits;
}

export type SandboxKind = "bwrap" | "none" | "off";

export interface Sandbox extends ProcessSandbox {
  /** `bwrap`: isolated; `none`: asked for auto but bubblewrap does not work here (environment and limits only); `off`: the user said so. */
  kind: SandboxKind;
  /** One line for the run's output. */
  description: string;
  /**
   * The same sandbox, telling `groups` each process group it starts, and with the whole shared
   * bytecode cache writable (`sharedCache`; the baseline only: a proof of a change may write only
   * its own tree's part, so it cannot plant bytecode that later proofs would load).
   */
  with(options: { groups?: Pick<ProcessSandbox, "started" | "ended">; sharedCache?: boolean }): Sandbox;
}

/** The bubblewrap program: `$PYAGENT_BWRAP` (a path) or `bwrap` on PATH. */
export function bwrapCommand(): string {
  return process.env.PYAGENT_BWRAP || "bwrap";
}

/** Only the allowed names, plus what the sandbox sets (HOME, TMPDIR). */
export function sandboxEnvironment(env: NodeJS.ProcessEnv, allowEnv: readonly string[], set: Record<string, string>): NodeJS.ProcessEnv {
  const allowed = new Set([...ENVIRONMENT_ALLOWED, ...allowEnv]);
  const result: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && (allowed.has(name) || name.startsWith("LC_"))) result[name] = value;
  return { ...result, ...set };
}

const PythonPaths = z.object({ paths: z.array(z.string()) });

/** Where the interpreter and its packages live (the sandbox must keep them visible when they sit under a hidden folder). */
async function pythonPaths(python: string): Promise<string[]> {
  const script = "import json, site, sys, os; print(json.dumps({'paths': [os.path.dirname(os.path.realpath(sys.executable)), sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path, *site.getsitepackages(), site.getusersitepackages()]}))";
  // -I: the repository cannot put a module on this path (isolated mode, run from a neutral folder).
  const result = await runProcess(python, ["-I", "-c", script], { cwd: tmpdir(), timeoutMs: 30_000 });
  if (result.code !== 0) return [];
  try {
    return PythonPaths.parse(JSON.parse(result.stdout)).paths.filter((path) => path && existsSync(path));
  } catch {
    return [];
  }
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isInside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`);
}

interface Layout {
  /** Folders replaced by an empty private tmpfs. */
  hidden: string[];
  /** Then shown again read-only (the repository, the interpreter's files, tools on PATH). */
  shown: string[];
  /** Hidden after that (the main checkout's .git and .pyagent). */
  hiddenAgain: string[];
  pycacheDir: string;
  home: string;
}

/** Folders with secrets or sockets: the homes, /run (daemon sockets), the temp folders (ssh-agent sockets, other users' files). */
function hiddenFolders(): string[] {
  const candidates = [process.env.HOME, "/root", "/home", "/run", "/var/tmp", "/tmp"].filter((path): path is string => Boolean(path) && path !== "/");
  const folders: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const real = realpathOrSelf(path);
    if (statSync(real).isDirectory()) folders.push(real);
  }
  // A folder inside another hidden one is hidden with it.
  const sorted = [...new Set(folders)].sort((a, b) => a.length - b.length);
  return sorted.filter((folder, index) => !sorted.slice(0, index).some((outer) => isInside(folder, outer)));
}

async function layoutFor(request: SandboxRequest): Promise<Layout> {
  const hidden = hiddenFolders();
  const root = realpathOrSelf(request.root);
  const underHidden = (path: string) => hidden.some((folder) => isInside(path, folder));
  const pathEntries = (process.env.PATH ?? "").split(":").filter((entry) => entry.startsWith("/") && existsSync(entry));
  const tools = [root, ...(await pythonPaths(request.python)), ...pathEntries, dirname(dirname(process.execPath))].map(realpathOrSelf);
  // Strictly inside a hidden folder: a PATH entry that is a home itself must not show the whole home again.
  const shown = [...new Set(tools.filter((path) => underHidden(path) && !hidden.includes(path)))].sort((a, b) => a.length - b.length);
  const visible = (path: string) => !underHidden(path) || shown.some((folder) => isInside(path, folder));
  // The repository's git folder may live elsewhere (the checkout is itself a linked worktree).
  const common = await runProcess("git", ["rev-parse", "--git-common-dir"], { cwd: root, timeoutMs: 30_000 });
  const gitFolder = common.code === 0 && common.stdout.trim() ? realpathOrSelf(resolve(root, common.stdout.trim())) : join(root, ".git");
  const hiddenAgain = [...new Set([gitFolder, join(root, ".git"), join(root, ".pyagent")])].filter((path) => existsSync(path) && statSync(path).isDirectory() && visible(path));
  const home = process.env.HOME && process.env.HOME !== "/" ? realpathOrSelf(process.env.HOME) : "/tmp";
  return { hidden, shown, hiddenAgain, pycacheDir: request.pycacheDir, home };
}

/** bubblewrap's arguments for a program in `cwd` (mounts are applied in order: later ones sit on top). */
export function bwrapArguments(layout: Layout, cwd: string, tmpBytes: number, sharedCache: boolean): string[] {
  const args = ["--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"];
  for (const folder of layout.hidden) {
    if (folder === "/tmp" && tmpBytes > 0) args.push("--size", String(tmpBytes));
    args.push("--tmpfs", folder);
  }
  for (const folder of layout.shown) args.push("--ro-bind", folder, folder);
  for (const folder of layout.hiddenAgain) args.push("--tmpfs", folder);
  if (existsSync(layout.pycacheDir)) {
    args.push(sharedCache ? "--bind" : "--ro-bind", layout.pycacheDir, layout.pycacheDir);
    const own = join(layout.pycacheDir, cwd);
    if (!sharedCache && existsSync(own)) args.push("--bind", own, own);
  }
  args.push("--bind", cwd, cwd, "--chdir", cwd);
  return args;
}

/** This process's hard limits by /proc/self/limits name (`Max processes`): a limit may not be set above them. */
function hardLimits(): Map<string, number> {
  const limits = new Map<string, number>();
  try {
    for (const line of readFileSync("/proc/self/limits", "utf8").split("\n")) {
      const match = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
      if (match && match[3] !== "unlimited") limits.set(match[1]!, Number(match[3]));
    }
  } catch {
    // no /proc: prlimit says what it cannot set
  }
  return limits;
}

/**
 * `prlimit` options for the limits, soft and hard (the program cannot raise them back), never above
 * this process's own hard limits (prlimit would refuse). RLIMIT_NPROC counts every process of the
 * user, so it gets the user's current count on top.
 */
function limitArguments(limits: SandboxLimits): string[] {
  const mib = 1024 * 1024;
  const hard = hardLimits();
  const limit = (option: string, name: string, value: number) => {
    const capped = Math.min(value, hard.get(name) ?? Number.POSITIVE_INFINITY);
    return `--${option}=${capped}:${capped}`;
  };
  const args: string[] = ["--core=0:0"];
  if (limits.cpuSeconds > 0) args.push(limit("cpu", "Max cpu time", limits.cpuSeconds));
  if (limits.memoryMb > 0) args.push(limit("as", "Max address space", limits.memoryMb * mib));
  if (limits.fileMb > 0) args.push(limit("fsize", "Max file size", limits.fileMb * mib));
  // root is exempt from RLIMIT_NPROC: the cgroup bounds its processes where one can be made.
  if (limits.processes > 0 && process.getuid?.() !== 0) args.push(limit("nproc", "Max processes", limits.processes + processesOfUser()));
  return args;
}

function processesOfUser(): number {
  const uid = process.getuid?.();
  let count = 0;
  for (const entry of safeReaddir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (statSync(`/proc/${entry}`).uid === uid) count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** A writable pids cgroup hierarchy (v1 `pids` or v2 with the pids controller), where PyAgent may make one group per check. */
function pidsCgroupBase(): string | undefined {
  for (const base of ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"]) {
    const probe = join(base, `pyagent-${process.pid}-probe`);
    try {
      mkdirSync(probe);
    } catch {
      continue;
    }
    const usable = existsSync(join(probe, "pids.max"));
    rmdirSync(probe);
    if (usable) {
      removeStaleGroups(base);
      return base;
    }
  }
  return undefined;
}

/** Groups of PyAgent processes that are gone (a kill -9 leaves their empty cgroup behind). */
function removeStaleGroups(base: string): void {
  for (const entry of safeReaddir(base)) {
    const owner = /^pyagent-(\d+)-/.exec(entry)?.[1];
    if (!owner || existsSync(`/proc/${owner}`)) continue;
    try {
      rmdirSync(join(base, entry));
    } catch {
      // still has processes; a later run removes it
    }
  }
}

let cgroupCounter = 0;

/** A pids cgroup for one check, and the shell prefix that moves the program into it before it starts. */
function checkCgroup(base: string, processes: number): { prefix: string[]; release: () => void } | undefined {
  const folder = join(base, `pyagent-${process.pid}-${++cgroupCounter}`);
  try {
    mkdirSync(folder);
    writeFileSync(join(folder, "pids.max"), String(processes));
  } catch {
    return undefined;
  }
  // The sandbox's processes may still be dying when the check ends: kill what is left, retry briefly.
  const release = (attempt = 0): void => {
    try {
      rmdirSync(folder);
    } catch {
      for (const pid of processesIn(join(folder, "cgroup.procs"))) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      if (attempt < 20) setTimeout(() => release(attempt + 1), 100).unref();
    }
  };
  return { prefix: ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', folder], release: () => release() };
}

function processesIn(path: string): number[] {
  try {
    return readFileSync(path, "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

interface Prepared {
  layout?: Layout;
  prlimit: boolean;
  cgroupBase?: string;
}

/** One sandbox value over what `prepareSandbox` found; `with` derives variants without probing again. */
function createSandbox(kind: SandboxKind, description: string, request: SandboxRequest, prepared: Prepared, variant: { groups?: Pick<ProcessSandbox, "started" | "ended">; sharedCache?: boolean }): Sandbox {
  const wrap = (invocation: Invocation): Invocation & { release?: () => void } => {
    if (kind === "off") return invocation;
    const cwd = realpathOrSelf(invocation.cwd);
    const home = prepared.layout?.home ?? tmpdir();
    const env = sandboxEnvironment(invocation.env, request.allowEnv, kind === "bwrap" ? { HOME: home, TMPDIR: "/tmp" } : {});
    let command: string[] = [invocation.command, ...invocation.args];
    if (kind === "bwrap" && prepared.layout) {
      // The bytecode cache and the tree's own part of it must exist to be bound: the cache lives
      // under the hidden .pyagent, and bytecode written into that tmpfs would be lost with it
      // (every check would recompile pytest and the standard library).
      mkdirSync(join(request.pycacheDir, cwd), { recursive: true });
      const extra = (invocation.writable ?? []).flatMap((folder) => ["--bind", folder, folder]);
      command = [bwrapCommand(), ...bwrapArguments(prepared.layout, cwd, request.limits.tmpMb * 1024 * 1024, variant.sharedCache ?? false), ...extra, "--", ...command];
    }
    if (prepared.prlimit) command = ["prlimit", ...limitArguments(request.limits), "--", ...command];
    const cgroup = prepared.cgroupBase && request.limits.processes > 0 ? checkCgroup(prepared.cgroupBase, request.limits.processes) : undefined;
    if (cgroup) command = [...cgroup.prefix, ...command];
    return { command: command[0]!, args: command.slice(1), cwd: invocation.cwd, env, release: cgroup?.release };
  };
  return {
    kind,
    description,
    wrap,
    started: variant.groups?.started?.bind(variant.groups),
    ended: variant.groups?.ended?.bind(variant.groups),
    with: (options) => createSandbox(kind, description, request, prepared, { ...variant, ...options }),
  };
}

const probes = new Map<string, Promise<string | undefined>>();

/** Runs `true` in the sandbox as checks will run (same mounts and limits); the error when it does not work, undefined when it does. Once per process. */
function probeBwrap(layout: Layout, request: SandboxRequest): Promise<string | undefined> {
  const command = bwrapCommand();
  const key = `${command}\0${request.root}`;
  let probe = probes.get(key);
  if (!probe) {
    probe = (async () => {
      const cwd = realpathOrSelf(request.root);
      const result = await runProcess(command, [...bwrapArguments(layout, cwd, request.limits.tmpMb * 1024 * 1024, false), "--", "true"], { cwd, timeoutMs: 30_000 });
      if (result.spawnError) return `${command} could not be started (${result.spawnError})`;
      if (result.code !== 0) return `${command} failed: ${result.stderr.trim().split("\n")[0] || `exit ${result.code ?? "signal"}`}`;
      return undefined;
    })();
    probes.set(key, probe);
  }
  return probe;
}

async function hasPrlimit(): Promise<boolean> {
  if (process.platform !== "linux") return false;
  const result = await runProcess("prlimit", ["--version"], { cwd: tmpdir(), timeoutMs: 10_000 });
  return result.code === 0;
}

function limitsText(limits: SandboxLimits, prlimit: boolean, cgroup: boolean): string {
  if (!prlimit && !cgroup) return "no resource limits (prlimit not found)";
  const parts = [
    limits.cpuSeconds ? `${limits.cpuSeconds} s CPU` : "",
    limits.memoryMb ? `${limits.memoryMb} MiB memory` : "",
    limits.processes ? `${limits.processes} processes${cgroup || process.getuid?.() !== 0 ? "" : " (not enforced for root without a cgroup)"}` : "",
    limits.fileMb ? `${limits.fileMb} MiB per file` : "",
  ].filter(Boolean);
  return parts.length > 0 ? `limits ${parts.join(", ")}` : "no resource limits";
}

/**
 * Decides how proofs run here: `off` as the user asked; `bwrap` when bubblewrap works (a probe
 * runs `true` with the real mounts), an error when it was asked for and does not; `auto` falls
 * back to `none` (environment allow-list and limits, no isolation).
 */
export async function prepareSandbox(request: SandboxRequest): Promise<Sandbox> {
  if (request.mode === "off") return createSandbox("off", "sandbox off (--sandbox off): proofs run with your full environment, files and network", request, { prlimit: false }, {});
  const prlimit = await hasPrlimit();
  const cgroupBase = process.platform === "linux" && request.limits.processes > 0 ? pidsCgroupBase() : undefined;
  const limits = limitsText(request.limits, prlimit, cgroupBase !== undefined);
  const layout = process.platform === "linux" ? await layoutFor(request) : undefined;
  const problem = layout ? await probeBwrap(layout, request) : `bubblewrap needs Linux (this is ${process.platform})`;
  if (problem === undefined) {
    return createSandbox("bwrap", `sandbox bwrap: only the worktree writable, no network, environment allow-list, ${limits}`, request, { layout, prlimit, cgroupBase }, {});
  }
  if (request.mode === "bwrap") {
    throw new SandboxUnavailableError(`--sandbox bwrap: ${problem}; install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) or choose --sandbox auto`, { problem });
  }
  return createSandbox("none", `no sandbox (${problem}): proofs run unisolated, with the environment allow-list and ${limits}`, request, { prlimit, cgroupBase }, {});
}
