import { PyAgentError } from "../core/index.js";

/** Base error of the fleet (runs, git, checks). Exit code 1 unless a subclass says otherwise. */
export class FleetError extends PyAgentError {
  override readonly name: string = "FleetError";
}

/** A git command failed; carries the command line and git's stderr. */
export class GitError extends FleetError {
  override readonly name = "GitError";
  readonly command: string;
  readonly stderr: string;

  constructor(args: readonly string[], stderr: string, exitCode: number | null, cwd: string) {
    const firstLine = stderr.trim().split("\n").find((line) => line.trim() !== "") ?? `exit code ${exitCode}`;
    super(`git ${args.join(" ")} failed: ${firstLine}`, { cwd, exitCode });
    this.command = `git ${args.join(" ")}`;
    this.stderr = stderr;
  }
}

/** The target repository or environment cannot be improved as given (not a repo, no Python...). Exit code 2. */
export class PreflightError extends FleetError {
  override readonly name = "PreflightError";
  override readonly exitCode = 2;
}

/** A baseline check could not finish (it hangs): nothing could be proven. Exit code 4. */
export class BaselineError extends FleetError {
  override readonly name = "BaselineError";
  override readonly exitCode = 4;
}

/** Another live process holds the run. Exit code 2. */
export class RunBusyError extends FleetError {
  override readonly name = "RunBusyError";
  override readonly exitCode = 2;
}

/** The run id is unknown to the project's journal. Exit code 2. */
export class UnknownRunError extends FleetError {
  override readonly name = "UnknownRunError";
  override readonly exitCode = 2;
}

/** Ctrl-C while a step that cannot be half-recorded (baseline, final proof) ran. Exit code 130; resume continues. */
export class RunInterruptedError extends FleetError {
  override readonly name = "RunInterruptedError";
  override readonly exitCode = 130;
}

/** Model-written code would run without a sandbox (none available, `--sandbox off` not given), or `--sandbox bwrap` does not work. Exit code 5. */
export class SandboxUnavailableError extends FleetError {
  override readonly name = "SandboxUnavailableError";
  override readonly exitCode = 5;
}
