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

/**
 * The project's tests cannot run at the baseline commit (collection errors, nothing passes, the
 * runner missing): changes could not be proven, so code-changing agents do not start. Exit code 5;
 * `--allow-unproven` goes on with what the remaining checks prove.
 */
export class UnprovenBaselineError extends FleetError {
  override readonly name = "UnprovenBaselineError";
  override readonly exitCode = 5;
}

/** A run journaled by an older PyAgent that this one cannot continue (its proof counted less). Exit code 3. */
export class OutdatedRunError extends FleetError {
  override readonly name = "OutdatedRunError";
  override readonly exitCode = 3;
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

/**
 * Another live PyAgent process holds the repository lock (`.pyagent/repo.lock`), or the lock's
 * holder cannot be judged from here. Exit code 75 (EX_TEMPFAIL: try again later).
 */
export class RepositoryBusyError extends FleetError {
  override readonly name = "RepositoryBusyError";
  override readonly exitCode = 75;
}

/** A run's audit trail was changed outside PyAgent: the run cannot be continued or merged. Exit code 65 (EX_DATAERR). */
export class AuditTamperedError extends FleetError {
  override readonly name = "AuditTamperedError";
  override readonly exitCode = 65;
}

/** Model-written code would run without a sandbox (none available, `--sandbox off` not given), or `--sandbox bwrap` does not work. Exit code 7. */
export class SandboxUnavailableError extends FleetError {
  override readonly name = "SandboxUnavailableError";
  override readonly exitCode = 7;
}
