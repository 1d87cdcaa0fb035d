import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Writable } from "node:stream";
import { main } from "../../src/interface/cli/main.js";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const BIN = join(REPO_ROOT, "bin/pyagent.js");

/** Writes `files` (path → text or bytes) into a fresh temp folder and returns its path. */
export function makeTree(files: Record<string, string | Uint8Array>, prefix = "pyagent-test-"): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function sink(chunks: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
}

/** Runs the CLI in this process (the real command code, captured output). */
export async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["node", "pyagent", ...args], { stdout: sink(out), stderr: sink(err) });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/**
 * Runs the built `bin/pyagent.js` in a child process, as a user would. `honourFileModes` drops
 * root's power to read any file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so mode 000 files are
 * unreadable even when the tests run as root.
 */
export function runBin(
  args: string[],
  options: { honourFileModes?: boolean; cwd?: string; env?: Record<string, string> } = {},
): { code: number; stdout: string; stderr: string } {
  const dropCapabilities = options.honourFileModes && process.getuid?.() === 0;
  const command = dropCapabilities ? "setpriv" : process.execPath;
  const commandArgs = dropCapabilities ? ["--bounding-set=-dac_override,-dac_read_search", "--", process.execPath, BIN, ...args] : [BIN, ...args];
  const env = options.env ? { ...process.env, ...options.env } : process.env;
  const result = spawnSync(command, commandArgs, { cwd: options.cwd ?? REPO_ROOT, env, encoding: "utf8", timeout: 120_000 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
