import { appendFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../../../core/index.js";
import { openJournal, type FleetAgent, type ImproveOptions } from "../../../fleet/index.js";
import { Budget, createChatModelClient, requireReachableModel, SqliteResponseCache } from "../../../providers/index.js";
import { type Logger, redactText } from "../../../observability/index.js";
import { createLlmFleet, LLM_AGENT_NAMES, STRATEGIES, type LlmFleet, type Strategy } from "../../../agents/llm/index.js";

/** The `pyagent improve` flags of the LLM agents. */
export interface LlmRunFlags {
  model?: string;
  budget?: number;
  tokenBudget?: number;
  /** false with --no-cache. */
  cache?: boolean;
  strategy?: string;
  swarm?: string;
  retries?: number;
  maxOutputTokens?: number;
  /** false with --no-director. */
  director?: boolean;
  /** false with --no-model-review. */
  modelReview?: boolean;
  /** A dry run contacts no model. */
  dryRun?: boolean;
}

/** `pyagent improve`'s exit code when no model could be reached, before the run or during it. */
export const MODEL_UNREACHABLE_EXIT_CODE = 6;

export interface LlmRun {
  fleet: LlmFleet;
  agents: FleetAgent[];
  /** Options to merge into `improve(...)`. */
  improveOptions: Pick<ImproveOptions, "director" | "onRunOpen">;
  /** Lines for the end of the run: spend per agent, the budget stop, a director fallback. */
  summaryLines(): string[];
  /** Appends the summary to the run's Markdown report. */
  appendToReport(reportPath: string): void;
  /** MODEL_UNREACHABLE_EXIT_CODE when the model went away during the run (LLM work stopped), else 0. */
  exitCode(): number;
  close(): void;
}

function strategyOf(name: string, flag: string): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(name)) throw new UsageError(`invalid ${flag} '${name}': expected one of ${STRATEGIES.join(", ")}`);
  return name as Strategy;
}

/**
 * The LLM side of `pyagent improve`, or undefined when the run uses no model (no `--model` and no
 * LLM agent in `--agents`): then the run is exactly the deterministic one.
 */
export async function prepareLlmRun(path: string, flags: LlmRunFlags, agentNames: string[] | undefined, goal: string | undefined, logger?: Logger): Promise<LlmRun | undefined> {
  const wantsLlm = flags.model !== undefined || (agentNames ?? []).some((name) => (LLM_AGENT_NAMES as readonly string[]).includes(name));
  if (!wantsLlm) return undefined;
  const root = resolve(path);
  const budget = new Budget({ usd: flags.budget, tokens: flags.tokenBudget });
  // The cache lives in the repository's store; a path that is not a repository gets none here and the preflight's error later.
  const cacheStore = flags.cache === false || !existsSync(join(root, ".git")) ? undefined : openJournal(root).store;
  let fleet: LlmFleet | undefined;
  try {
    const client = await createChatModelClient({
      root,
      model: flags.model,
      budget,
      cache: cacheStore ? new SqliteResponseCache(cacheStore.db) : undefined,
      logger,
      onCall: (call) => fleet?.session.onCall(call),
    });
    // A model that cannot be reached ends the command here, with one line and exit code 6,
    // instead of a run whose every LLM task "fails the proof".
    if (!flags.dryRun) await requireReachableModel(client);
    fleet = createLlmFleet({
      client,
      budget,
      maxOutputTokens: flags.maxOutputTokens,
      noCache: flags.cache === false,
      goal,
      strategy: flags.strategy === undefined ? undefined : strategyOf(flags.strategy, "--strategy"),
      swarm: flags.swarm?.split(",").map((name) => strategyOf(name.trim(), "--swarm")),
      retries: flags.retries,
      review: flags.modelReview,
      director: flags.director,
    });
  } catch (error) {
    cacheStore?.close();
    throw error;
  }
  const llm = fleet;
  const summaryLines = () => [
    "model spend per agent:",
    ...llm.spendLines().map((line) => `  ${line}`),
    ...(llm.session.stopped ? [`stopped LLM work: ${llm.session.stopped}`] : []),
    ...(llm.directorFallback ? [`the director's plan was not used (${llm.directorFallback}); the agents' own plan ran`] : []),
  ];
  return {
    fleet: llm,
    agents: llm.agents,
    improveOptions: { director: llm.director, onRunOpen: (_runId, record) => llm.session.recordTo(record) },
    summaryLines,
    appendToReport: (reportPath) => appendFileSync(reportPath, redactText(`\n## Models\n\n\`\`\`\n${summaryLines().join("\n")}\n\`\`\`\n`)),
    exitCode: () => (llm.session.stoppedBy === "model-unavailable" ? MODEL_UNREACHABLE_EXIT_CODE : 0),
    close: () => cacheStore?.close(),
  };
}
