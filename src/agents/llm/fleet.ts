import type { AgentTask as FleetTask, WorkingAgent as FleetAgent } from "./types.js";
import { Budget, type Tier } from "../../providers/index.js";
import type { ProjectAnalysis } from "../../python/index.js";
import { createDirector } from "./director.js";
import { createLlmAgent, type Strategy } from "./editor.js";
import { LLM_AGENT_NAMES } from "./planners.js";
import { ModelSession, type PricedClient } from "./session.js";

export interface LlmFleetOptions {
  client: PricedClient;
  /** The run's purse; one without limits still accounts spend per agent. */
  budget?: Budget;
  /** Bound on every reply (default 2048). */
  maxOutputTokens?: number;
  noCache?: boolean;
  goal?: string;
  strategy?: Strategy;
  retries?: number;
  candidates?: number;
  swarm?: Strategy[];
  /** The model reviewer gates commits (default true). */
  review?: boolean;
  /** The LLM director re-plans the candidates (default true). */
  director?: boolean;
  tier?: Tier;
}

export interface LlmFleet {
  session: ModelSession;
  budget: Budget;
  agents: FleetAgent[];
  director: ((candidates: FleetTask[], analysis: ProjectAnalysis, goal: string | null) => Promise<FleetTask[]>) | undefined;
  /** Why the director's plan was not used, when it was not. */
  directorFallback: string | undefined;
  /** Spend per agent (director and reviewer included), for the final report. */
  spendLines(): string[];
}

/**
 * The LLM agents of one run over one client: they share a session (budget, run record), so the
 * budget stops all of them at once. The client's `onCall` must be `fleet.session.onCall` for the
 * run record to hold every reply (build the client with `createChatModelClient({ onCall })`, see
 * `bindRecorder`).
 */
export function createLlmFleet(options: LlmFleetOptions): LlmFleet {
  const budget = options.budget ?? new Budget({});
  const session = new ModelSession({ client: options.client, budget, maxOutputTokens: options.maxOutputTokens ?? 2048, noCache: options.noCache });
  const agents = LLM_AGENT_NAMES.map((name) =>
    createLlmAgent(name, { session, goal: options.goal, strategy: options.strategy, retries: options.retries, candidates: options.candidates, swarm: options.swarm, review: options.review, tier: options.tier }),
  );
  const fleet: LlmFleet = {
    session,
    budget,
    agents,
    directorFallback: undefined,
    director: options.director === false ? undefined : createDirector({ session, tier: options.tier, onFallback: (reason) => void (fleet.directorFallback = reason) }),
    spendLines() {
      const report = budget.report();
      const lines = Object.entries(report.agents).map(([agent, spend]) => `${agent.padEnd(12)} ${String(spend.calls).padStart(4)} calls  ${String(spend.tokens).padStart(9)} tokens  $${spend.usd.toFixed(6)}`);
      lines.push(`${"total".padEnd(12)} ${String(report.total.calls).padStart(4)} calls  ${String(report.total.tokens).padStart(9)} tokens  $${report.total.usd.toFixed(6)}`);
      return lines;
    },
  };
  return fleet;
}
