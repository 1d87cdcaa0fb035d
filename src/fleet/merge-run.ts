import { join } from "node:path";
import { AuditTrail, auditPath } from "./audit.js";
import { FleetError, UnknownRunError } from "./errors.js";
import { openJournal } from "./journal.js";
import { claimRepository, claimRun, type RepositoryLockOptions } from "./lock.js";
import { mergeRunBranch } from "./merge.js";
import { preflight } from "./preflight.js";
import { endRecordedGroups, processGroupLog, processGroupsPath } from "./process-groups.js";
import type { SandboxMode } from "./sandbox.js";
import { sandboxForRun } from "./sandbox-policy.js";
import { writeRunReport } from "./report.js";
import { requireCountedTests } from "./test-proof.js";
import type { MergeOutcome } from "./types.js";
import { pycacheDirectory, removeRunWorktrees, runWorktreeDirectory, stateDirectory } from "./worktrees.js";

export interface MergeRunOptions {
  python?: string;
  signal?: AbortSignal;
  /** Where the merge's proof runs (default auto). */
  sandbox?: SandboxMode;
  sandboxEnv?: string[];
  /** Names of agents whose changes a model writes: a run that used one is not re-proven without a sandbox (unless `off`). */
  modelAgents?: readonly string[];
  /** Told how the proof will run, before it does. */
  onSandbox?: (sandbox: { kind: string; description: string }) => void;
  lockWaitMs?: number;
  onLockWait?: RepositoryLockOptions["onWait"];
}

/** `pyagent merge RUN_ID`: the git dance for a finished run, later. */
export async function mergeRun(path: string, runId: string, options: MergeRunOptions = {}): Promise<MergeOutcome> {
  const checked = await preflight(path, { python: options.python });
  const { store, journal } = openJournal(checked.root);
  let release = () => {};
  let releaseRepository = () => {};
  try {
    // The same lock as `improve`: a merge while a run lands or merges could merge a change twice.
    releaseRepository = await claimRepository(stateDirectory(checked.root), `pyagent merge ${runId}`, { waitMs: options.lockWaitMs, signal: options.signal, onWait: options.onLockWait });
    const run = journal.getRun(runId);
    if (!run) throw new UnknownRunError(`no run ${runId} in ${checked.root} (see 'pyagent runs')`);
    if (!run.baseline) throw new FleetError(`run ${runId} has no baseline (it stopped before proving anything); nothing to merge`);
    requireCountedTests(run.baseline, run.id, checked.root);
    const python = options.python ? checked.python : run.options.python;
    const modelAgents = run.options.agents.filter((name) => options.modelAgents?.includes(name));
    const sandbox = await sandboxForRun({ mode: options.sandbox ?? "auto", root: checked.root, python, pycacheDir: pycacheDirectory(checked.root), allowEnv: options.sandboxEnv, modelAgents });
    options.onSandbox?.({ kind: sandbox.kind, description: sandbox.description });
    release = claimRun(join(stateDirectory(checked.root), "runs", `${run.id}.lock`));
    const groups = processGroupsPath(checked.root, run.id);
    endRecordedGroups(groups);
    const audit = AuditTrail.open(auditPath(stateDirectory(checked.root), run.id), (seq, hash) => journal.setAuditHead(run.id, seq, hash));
    audit.agreeWith({ seq: run.auditSeq, hash: run.auditHash });
    const worktrees = runWorktreeDirectory(checked.root, run.id);
    try {
      const outcome = await mergeRunBranch({
        root: checked.root,
        runId: run.id,
        runBranch: run.runBranch,
        targetBranch: run.baseBranch,
        baseline: run.baseline,
        environment: { python, timeoutMs: run.options.checkTimeoutMs, pycacheDir: pycacheDirectory(checked.root), signal: options.signal, sandbox: sandbox.with({ groups: processGroupLog(groups) }) },
        worktreeDirectory: worktrees,
        onStep: (step, data) => audit.append(step, data),
      });
      journal.updateRun(run.id, { merges: [...run.merges, outcome] });
      audit.append("merge-end", outcome);
      writeRunReport(stateDirectory(checked.root), journal.getRun(run.id)!, journal.getTasks(run.id), journal.getEvents(run.id));
      return outcome;
    } finally {
      await removeRunWorktrees(checked.root, run.id);
    }
  } finally {
    release();
    releaseRepository();
    store.close();
  }
}
