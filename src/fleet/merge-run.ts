import { join } from "node:path";
import { AuditTrail, auditPath } from "./audit.js";
import { FleetError, UnknownRunError } from "./errors.js";
import { openJournal } from "./journal.js";
import { claimRepository, claimRun, type RepositoryLockOptions } from "./lock.js";
import { mergeRunBranch } from "./merge.js";
import { preflight } from "./preflight.js";
import { writeRunReport } from "./report.js";
import { requireCountedTests } from "./test-proof.js";
import type { MergeOutcome } from "./types.js";
import { pycacheDirectory, removeRunWorktrees, runWorktreeDirectory, stateDirectory } from "./worktrees.js";

/** `pyagent merge RUN_ID`: the git dance for a finished run, later. */
export async function mergeRun(
  path: string,
  runId: string,
  options: { python?: string; signal?: AbortSignal; lockWaitMs?: number; onLockWait?: RepositoryLockOptions["onWait"] } = {},
): Promise<MergeOutcome> {
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
    release = claimRun(join(stateDirectory(checked.root), "runs", `${run.id}.lock`));
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
        environment: { python: options.python ? checked.python : run.options.python, timeoutMs: run.options.checkTimeoutMs, pycacheDir: pycacheDirectory(checked.root), signal: options.signal },
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
