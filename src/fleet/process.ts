import { spawn } from "node:child_process";

export interface ProcessResult {
  /** Exit code; null when killed by a signal (including our timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  milliseconds: number;
  /** The program could not be started (ENOENT...). */
  spawnError?: string;
}

export interface ProcessOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the whole process group after this long (SIGKILL); 0 = no limit. */
  timeoutMs?: number;
  signal?: AbortSignal;
  input?: string;
  /** Keep at most this many characters of each stream (the tail, where failures are summarized). */
  maxOutput?: number;
  /** Confines the program (see sandbox.ts) and is told its process group while it runs. */
  sandbox?: ProcessSandbox;
  /** Folders besides `cwd` the program must be able to write inside a sandbox (a report's private temp folder). */
  writable?: readonly string[];
}

/** The program as it is to be started. */
export interface Invocation {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Folders besides `cwd` that stay writable inside a sandbox. */
  writable?: readonly string[];
}

/**
 * How a program is confined: `wrap` turns the invocation into the one to start (a sandbox's
 * command line around it, a scrubbed environment) and may return `release`, called once the
 * program and its group are gone. `started`/`ended` are told the process group id.
 */
export interface ProcessSandbox {
  wrap(invocation: Invocation): Invocation & { release?: () => void };
  started?(processGroup: number): void;
  ended?(processGroup: number): void;
}

/**
 * Runs a program without a shell. The child leads its own process group so a timeout or an abort
 * kills everything it started (pytest workers, subprocesses of a hanging test), not just the child.
 */
export function runProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const started = performance.now();
  const maxOutput = options.maxOutput ?? 2_000_000;
  const plain: Invocation = { command, args, cwd: options.cwd, env: options.env ?? process.env, writable: options.writable };
  return new Promise((resolve) => {
    let invocation: Invocation & { release?: () => void };
    try {
      invocation = options.sandbox ? options.sandbox.wrap(plain) : plain;
    } catch (error) {
      return resolve({ code: null, stdout: "", stderr: "", timedOut: false, milliseconds: performance.now() - started, spawnError: (error as Error).message });
    }
    const child = spawn(invocation.command, invocation.args, {
      cwd: invocation.cwd,
      env: invocation.env,
      detached: true,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let settled = false;
    const keep = (buffer: string, chunk: Buffer) => {
      const next = buffer + chunk.toString("utf8");
      return next.length > maxOutput * 2 ? next.slice(next.length - maxOutput) : next;
    };
    child.stdout!.on("data", (chunk: Buffer) => (stdout = keep(stdout, chunk)));
    child.stderr!.on("data", (chunk: Buffer) => (stderr = keep(stderr, chunk)));
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = options.timeoutMs ? setTimeout(() => ((timedOut = true), killGroup()), options.timeoutMs) : undefined;
    const onAbort = () => killGroup();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const group = child.pid;
    if (group !== undefined) options.sandbox?.started?.(group);
    const finish = (code: number | null, spawnError?: string) => {
      if (settled) return;
      settled = true;
      if (group !== undefined) options.sandbox?.ended?.(group);
      invocation.release?.();
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      const trim = (text: string) => (text.length > maxOutput ? text.slice(text.length - maxOutput) : text);
      resolve({ code, stdout: trim(stdout), stderr: trim(stderr), timedOut, milliseconds: performance.now() - started, spawnError });
    };
    child.on("error", (error) => finish(null, error.message));
    child.on("close", (code) => {
      // The child is gone; make sure nothing it left behind in its group keeps running (a confined
      // check's leftovers always: nothing a check starts may outlive it).
      if (timedOut || options.signal?.aborted || options.sandbox) killGroup();
      finish(code);
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}
