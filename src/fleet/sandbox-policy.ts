import { ConfigError, loadConfig } from "../core/index.js";
import { SandboxUnavailableError } from "./errors.js";
import { prepareSandbox, SECRET_NAME, type Sandbox, type SandboxMode } from "./sandbox.js";

export interface SandboxChoice {
  mode: SandboxMode;
  root: string;
  python: string;
  pycacheDir: string;
  /** `--sandbox-env` names (the user's own command line: any name is allowed). */
  allowEnv?: readonly string[];
  /** Agents of the run whose changes a model writes: with none of them, no sandbox is only a note. */
  modelAgents: readonly string[];
}

/**
 * The sandbox of a run's proofs, from `--sandbox`, `--sandbox-env` and `[tool.pyagent]`. Model-
 * written code is never proven without isolation unless the user said `--sandbox off`: with no
 * working bubblewrap under `auto`, a run with an LLM agent is refused (exit code 7); deterministic
 * codemods still run, with the environment allow-list and the limits, and the run says so.
 */
export async function sandboxForRun(choice: SandboxChoice): Promise<Sandbox> {
  const config = loadConfig(choice.root);
  const secret = config.sandboxEnv.filter((name) => SECRET_NAME.test(name));
  if (secret.length > 0) {
    throw new ConfigError(
      `tool.pyagent.sandbox-env in pyproject.toml names ${secret.join(", ")}, which look like secrets; the repository's files may not hand secrets to the code being proven: pass them with --sandbox-env on the command line if the tests need them`,
      { key: "sandbox-env" },
    );
  }
  const sandbox = await prepareSandbox({
    mode: choice.mode,
    root: choice.root,
    python: choice.python,
    pycacheDir: choice.pycacheDir,
    allowEnv: [...config.sandboxEnv, ...(choice.allowEnv ?? [])],
    limits: { cpuSeconds: config.sandboxCpuSeconds, memoryMb: config.sandboxMemoryMb, processes: config.sandboxProcesses, fileMb: config.sandboxFileMb, tmpMb: config.sandboxTmpMb },
  });
  if (sandbox.kind === "none" && choice.modelAgents.length > 0) {
    throw new SandboxUnavailableError(
      `refusing to prove model-written changes (${choice.modelAgents.join(", ")}) without a sandbox: ${sandbox.description}. Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), run only deterministic agents (--agents), or pass --sandbox off to run them with your full environment, files and network`,
      { agents: [...choice.modelAgents] },
    );
  }
  return sandbox;
}
