import type { AgentTask as FleetTask, WorkingAgent as FleetAgent } from "./types.js";
import { Budget } from "../../providers/index.js";
import type { ProjectAnalysis } from "../../python/index.js";
import { createDirector } from "./director.js";
import { createLlmAgent, type LlmAgentOptions } from "./editor.js";
import { LLM_AGENT_NAMES } from "./planners.js";
import { ModelSession, type PricedClient } from "./session.js";

/** The agents' options (goal, strategy, retries, ...) for every agent, plus the run's client and purse. */
export interface LlmFleetOptions extends Omit<LlmAgentOptions, "session"> {
  client: PricedClient;
  /** The run's purse; one without limits still accounts spend per agent. */
  budget?: Budget;
  /** Bound on every reply (default 2048). */
  maxOutputTokens?: number;
  noCache?: boolean;
  /** The LLM director re-plans the candidates (default true). */
  director?: boolean;
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
  const { client, budget: given, maxOutputTokens, noCache, director, ...agentOptions } = options;
  const budget = given ?? new Budget({});
  const session = new ModelSession({ client, budget, maxOutputTokens: maxOutputTokens ?? 2048, noCache });
  const agents = LLM_AGENT_NAMES.map((name) => createLlmAgent(name, { ...agentOptions, session }));
  const fleet: LlmFleet = {
    session,
    budget,
    agents,
    directorFallback: undefined,
    director: director === false ? undefined : createDirector({ session, tier: options.tier, onFallback: (reason) => void (fleet.directorFallback = reason) }),
    spendLines() {
      const report = budget.report();
      const lines = Object.entries(report.agents).map(([agent, spend]) => `${agent.padEnd(12)} ${String(spend.calls).padStart(4)} calls  ${String(spend.tokens).padStart(9)} tokens  $${spend.usd.toFixed(6)}`);
      lines.push(`${"total".padEnd(12)} ${String(report.total.calls).padStart(4)} calls  ${String(report.total.tokens).padStart(9)} tokens  $${report.total.usd.toFixed(6)}`);
      return lines;
    },
  };
  return fleet;
}
