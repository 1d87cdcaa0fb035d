import type { AgentTask as FleetTask, AgentWorkContext, AgentWorkResult, FileEdit, TrialResult, WorkingAgent as FleetAgent } from "./types.js";
import { redactKnownSecrets } from "../../observability/index.js";
import type { ChatMessage, Tier } from "../../providers/index.js";
import { editsFromReply } from "./confine.js";
import { MAX_REPLY_CHARS } from "./edit-blocks.js";
import { type LlmAgentName, type LlmTask, llmPlanners } from "./planners.js";
import { loadPrompt, renderPrompt } from "./prompts.js";
import { reviewDiff, type ScoredReview } from "./reviewer.js";
import type { ModelSession } from "./session.js";
import { redact } from "../../observability/index.js";

export type Strategy = "single" | "plan-then-act" | "self-consistency" | "reflexion";
export const STRATEGIES: readonly Strategy[] = ["single", "plan-then-act", "self-consistency", "reflexion"];

export interface LlmAgentOptions {
  session: ModelSession;
  /** `--goal`, for the prompts. */
  goal?: string;
  /** Default reflexion. */
  strategy?: Strategy;
  /** Retries after a failed proof or an unusable reply (reflexion; default 2, bounded). */
  retries?: number;
  /** Candidates for self-consistency (default 3). */
  candidates?: number;
  /** Swarm mode: one proposer per strategy listed, in parallel, for each task; the best proven one wins. */
  swarm?: Strategy[];
  /** The model reviewer gates the commit (default true). */
  review?: boolean;
  tier?: Tier;
}

const DESCRIPTIONS: Record<LlmAgentName, string> = {
  refactor: "LLM: reduces the complexity of a hotspot function without changing behaviour",
  docstrings: "LLM: adds missing docstrings",
  "type-hints": "LLM: adds type annotations (proven by pyright when installed, else by compileall and pytest)",
  tests: "LLM: writes pytest tests for untested functions (proven when they pass)",
};

/** A file shown to the model is cut here; the edits are search/replace blocks, so the model never has to echo it. */
const MAX_CONTENT_CHARS = 24_000;
/** What of a failing check's output goes back to the model. */
const MAX_FEEDBACK_CHARS = 4_000;

interface Proposer {
  strategy: Exclude<Strategy, "self-consistency">;
  temperature?: number;
  seed?: number;
}

type Attempt =
  | { state: "proven"; edits: FileEdit[]; trial: TrialResult }
  | { state: "failed"; reason: string; output: string; trial?: TrialResult }
  | { state: "stopped"; reason: string; budget: boolean; unavailable?: boolean };

/**
 * An LLM agent the fleet drives through `work`: it proposes search/replace edits for the task's
 * files, proves them in the worktree (`context.prove`), retries with the failing check's output
 * under reflexion, and has the model reviewer rank and gate the proven candidates. It has no
 * shell and no tool calls: its only effects are edits to the task's files, which the fleet
 * writes and proves.
 */
export function createLlmAgent(name: LlmAgentName, options: LlmAgentOptions): FleetAgent {
  const strategy = options.strategy ?? "reflexion";
  const retries = Math.min(5, options.retries ?? (strategy === "reflexion" ? 2 : 0));
  const tier = options.tier ?? "medium";
  const session = options.session;

  function firstPrompt(task: LlmTask, read: (path: string) => string | undefined): string {
    const path = task.files[0]!;
    const sourcePath = task.source ?? path;
    const content = cut(read(sourcePath) ?? "", MAX_CONTENT_CHARS);
    const editFormat = renderPrompt(loadPrompt("edit-format"), { files: task.files.join(", ") });
    return renderPrompt(loadPrompt(name), { path, source: sourcePath, module: task.module ?? "", symbol: task.symbol ?? "", detail: task.detail, goal: options.goal ?? "improve maintainability", content, edit_format: editFormat });
  }

  async function attempt(proposer: Proposer, task: LlmTask, context: AgentWorkContext, prove: (edits: FileEdit[]) => Promise<TrialResult>): Promise<Attempt> {
    const ask = (messages: ChatMessage[], prompt: string) =>
      session.ask({ messages, temperature: proposer.temperature ?? 0, seed: proposer.seed, tier, agent: name, task: task.id, prompt, signal: context.signal });
    let messages: ChatMessage[] = [{ role: "user", content: firstPrompt(task, context.read) }];
    if (proposer.strategy === "plan-then-act") {
      const planned = await ask([{ role: "user", content: renderPrompt(loadPrompt("plan"), { task: messages[0]!.content }) }], "plan.v1");
      if (!planned.ok) return { state: "stopped", reason: planned.reason, budget: planned.budget, unavailable: planned.unavailable };
      messages = [...messages, { role: "user", content: renderPrompt(loadPrompt("act"), { plan: cut(planned.response.text, MAX_FEEDBACK_CHARS) }) }];
    }
    const rounds = proposer.strategy === "reflexion" ? retries + 1 : 1;
    let last: Extract<Attempt, { state: "failed" }> = { state: "failed", reason: "no attempt", output: "" };
    for (let round = 1; round <= rounds; round++) {
      const asked = await ask(messages, round === 1 ? `${name}.v1` : "reflexion.v1");
      if (!asked.ok) return round === 1 ? { state: "stopped", reason: asked.reason, budget: asked.budget, unavailable: asked.unavailable } : { ...last, reason: `${last.reason}; retry not made: ${asked.reason}` };
      const reply = asked.response.text.slice(0, MAX_REPLY_CHARS);
      const parsed = editsFromReply(reply, task.files, context.read);
      if (parsed.ok) {
        const trial = await prove(parsed.edits);
        if (trial.proven) return { state: "proven", edits: parsed.edits, trial };
        last = { state: "failed", reason: trial.reason || "the proof failed", output: trial.output, trial };
      } else {
        last = { state: "failed", reason: `the model's edits could not be applied: ${parsed.problems[0]!.split("\n")[0]}`, output: parsed.problems.join("\n") };
      }
      if (round < rounds) {
        const retry = renderPrompt(loadPrompt("reflexion"), {
          attempt: round + 1,
          attempts: rounds,
          // Check output is the repository's and its tests' text: secrets in it (a key in a fixture,
          // a token a test printed) are masked before it goes to a model.
          reason: redact(last.reason),
          output: cut(stableOutput(redact(last.output)), MAX_FEEDBACK_CHARS),
          path: task.files[0]!,
          content: cut(context.read(task.files[0]!) ?? "(the file does not exist yet)", MAX_CONTENT_CHARS),
        });
        messages = [...messages, { role: "assistant", content: cut(reply, MAX_FEEDBACK_CHARS) }, { role: "user", content: retry }];
      }
    }
    if (rounds > 1) last = { ...last, reason: `${last.reason} (after ${rounds} attempts with reflexion)` };
    return last;
  }

  async function work(fleetTask: FleetTask, workContext: AgentWorkContext): Promise<AgentWorkResult> {
    const task = fleetTask as LlmTask;
    // Every candidate is made against the files as they were before any try: a try writes its
    // edits into the worktree while other candidates are still being asked for.
    const snapshot = new Map<string, string | undefined>([...task.files, ...(task.source ? [task.source] : [])].map((path) => [path, workContext.read(path)]));
    const context: AgentWorkContext = { ...workContext, read: (path) => (snapshot.has(path) ? snapshot.get(path) : workContext.read(path)) };
    // One worktree per task: candidates are asked for in parallel, but proven one at a time.
    let queue: Promise<unknown> = Promise.resolve();
    const prove = (edits: FileEdit[]) => {
      const result = queue.then(() => context.prove(edits));
      queue = result.catch(() => undefined);
      return result;
    };
    const proposers: Proposer[] = options.swarm?.length
      ? options.swarm.map((member) => (member === "self-consistency" ? { strategy: "single", temperature: 0.8, seed: 1 } : { strategy: member }))
      : strategy === "self-consistency"
        ? Array.from({ length: Math.max(1, Math.min(8, options.candidates ?? 3)) }, (_unused, index) => ({ strategy: "single" as const, temperature: 0.8, seed: index + 1 }))
        : [{ strategy }];
    const attempts = await Promise.all(proposers.map((proposer) => attempt(proposer, task, context, prove)));
    const proven = attempts.filter((item): item is Extract<Attempt, { state: "proven" }> => item.state === "proven");
    if (proven.length === 0) {
      const stopped = attempts.find((item): item is Extract<Attempt, { state: "stopped" }> => item.state === "stopped");
      // No model answer, so no proof was made (budget, model unreachable, a provider error): the
      // task is skipped with the reason, never counted as a failed proof.
      if (stopped && attempts.every((item) => item.state === "stopped")) return { state: "skipped", reason: stopped.reason };
      const failed = attempts.find((item): item is Extract<Attempt, { state: "failed" }> => item.state === "failed")!;
      const others = attempts.length > 1 ? ` (${attempts.length} candidates, none proven)` : "";
      return { state: "failed", reason: `${failed.reason}${others}`, output: failed.output, diff: failed.trial?.diff, checks: failed.trial?.checks };
    }
    if (options.review === false) return { state: "edits", edits: proven[0]!.edits };
    return choose(task, proven);
  }

  /** The reviewer reads every proven candidate; the approved one it scores highest wins (first on ties). */
  async function choose(task: LlmTask, proven: Array<Extract<Attempt, { state: "proven" }>>): Promise<AgentWorkResult> {
    let best: { edits: FileEdit[]; review: ScoredReview } | undefined;
    for (const candidate of proven) {
      const reviewed = await reviewDiff(session, task, candidate.trial.diff, candidate.trial.checks, tier);
      if (!reviewed.ok) {
        // Proven work is finished when the budget runs out; any other missing verdict blocks the commit.
        const review: ScoredReview = reviewed.budget
          ? { approve: true, score: 0, summary: `proven; not reviewed by the model: ${reviewed.reason}`, comments: [] }
          : { approve: false, score: 0, summary: `no review verdict: ${reviewed.reason}`, comments: [] };
        if (!best) best = { edits: candidate.edits, review };
        continue;
      }
      const better = !best || Number(reviewed.review.approve) > Number(best.review.approve) || (reviewed.review.approve === best.review.approve && reviewed.review.score > best.review.score);
      if (better) best = { edits: candidate.edits, review: reviewed.review };
    }
    return { state: "edits", edits: best!.edits, review: best!.review };
  }

  return {
    name,
    description: DESCRIPTIONS[name],
    plan: (analysis) => llmPlanners[name](analysis),
    /** Without the fleet's proof: one reply's edits (used outside a run; the fleet calls `work`). */
    async apply(fleetTask, read) {
      const task = fleetTask as LlmTask;
      const asked = await session.ask({ messages: [{ role: "user", content: firstPrompt(task, read) }], temperature: 0, tier, agent: name, task: task.id, prompt: `${name}.v1` });
      if (!asked.ok) return [];
      const parsed = editsFromReply(asked.response.text, task.files, read);
      return parsed.ok ? parsed.edits : [];
    },
    work,
  };
}

/**
 * A check's output without what changes from run to run (durations, the worktree's absolute
 * path), so the same failure gives the same retry prompt and the response cache can answer it.
 */
function stableOutput(text: string): string {
  return text.replace(/ in \d+(?:\.\d+)?s\b/g, "").replace(/\/\S*?\/\.pyagent\/\S*?\/task-[^/\s]+\//g, "");
}

/** `text` (known secrets masked first, so the cut cannot leave half a key) bounded to `limit` characters. */
function cut(text: string, limit: number): string {
  const masked = redactKnownSecrets(text);
  return masked.length > limit ? `${masked.slice(0, limit)}\n... (cut at ${limit} characters)` : masked;
}
