import { z } from "zod";
import type { AgentTask as FleetTask } from "./types.js";
import type { JsonSchema, Tier } from "../../providers/index.js";
import type { ProjectAnalysis } from "../../python/index.js";
import type { LlmTask } from "./planners.js";
import { loadPrompt, renderPrompt } from "./prompts.js";
import type { ModelSession } from "./session.js";

const planSchema = z.object({
  tasks: z
    .array(
      z.object({
        candidate: z.string().max(200).default(""),
        agent: z.string().max(100),
        title: z.string().max(300).default(""),
        files: z.array(z.string().max(500)).max(20).default([]),
        benefit: z.number().min(0).max(1000).default(1),
        estimatedCostUsd: z.number().min(0).default(0),
        rationale: z.string().max(2000).default(""),
      }),
    )
    .max(200),
});
const planJsonSchema = z.toJSONSchema(planSchema, { io: "input" }) as JsonSchema;

export interface DirectorOptions {
  session: ModelSession;
  /** Most tasks the director may plan (default 20). */
  maxTasks?: number;
  tier?: Tier;
  /** Told why the model's plan was not used (the candidates are run as planned instead). */
  onFallback?: (reason: string) => void;
}

/** What the director shows of the candidates: enough to choose, without the findings' bulk. */
const MAX_CANDIDATES_SHOWN = 60;
const MAX_FINDINGS_SHOWN = 40;

/**
 * The LLM director: turns the findings, the agents' candidate tasks and `--goal` into the run's
 * plan (JSON schema output: agent, target files, expected benefit, estimated cost per task). Its
 * plan can only choose among the candidates' agents and files, so a confused or injected model
 * cannot widen what the run may touch. A reply that is unusable (budget, provider down, invalid
 * JSON) leaves the deterministic plan in place, and says so.
 */
export function createDirector(options: DirectorOptions) {
  const maxTasks = options.maxTasks ?? 20;
  return async (candidates: FleetTask[], analysis: ProjectAnalysis, goal: string | null): Promise<FleetTask[]> => {
    if (candidates.length === 0) return candidates;
    const prompt = loadPrompt("director");
    const shown = candidates.slice(0, MAX_CANDIDATES_SHOWN);
    const content = renderPrompt(prompt, {
      goal: goal ?? "improve maintainability without changing behaviour",
      agents: [...new Set(candidates.map((task) => task.agent))].join(", "),
      findings: analysis.findings.slice(0, MAX_FINDINGS_SHOWN).map((finding) => `- ${finding.path}:${finding.line} ${finding.rule}: ${finding.message}`).join("\n") || "(none)",
      candidates: JSON.stringify(shown.map((task) => ({ id: task.id, agent: task.agent, title: task.title, files: task.files, benefit: task.benefit }))),
      max: maxTasks,
    });
    const asked = await options.session.ask({ messages: [{ role: "user", content }], schema: planJsonSchema, temperature: 0, tier: options.tier ?? "medium", agent: "director", task: "plan", prompt: prompt.id });
    if (!asked.ok) return fallback(candidates, `director: ${asked.reason}`, options);
    const parsed = planSchema.safeParse(asked.response.json);
    if (!parsed.success) return fallback(candidates, `director: the plan does not match its schema: ${parsed.error.issues[0]?.message}`, options);

    const byId = new Map(candidates.map((task) => [task.id, task]));
    const byAgentFile = new Map(candidates.map((task) => [`${task.agent}\0${task.files.join("\0")}`, task]));
    const planned: FleetTask[] = [];
    const seen = new Set<string>();
    for (const item of parsed.data.tasks.slice(0, maxTasks)) {
      // A planned task must be a candidate (by id, or by agent and files): the model chooses and ranks, it does not invent scope.
      const base = byId.get(item.candidate) ?? byAgentFile.get(`${item.agent}\0${item.files.join("\0")}`);
      if (!base || seen.has(base.id)) continue;
      seen.add(base.id);
      const task: LlmTask | FleetTask = { ...base, benefit: item.benefit, ...(item.estimatedCostUsd > 0 ? { estimatedCostUsd: item.estimatedCostUsd } : {}), ...(item.rationale ? { rationale: item.rationale } : {}) };
      planned.push(task);
    }
    if (planned.length === 0) return fallback(candidates, "director: the plan named no candidate task", options);
    return planned;
  };
}

function fallback(candidates: FleetTask[], reason: string, options: DirectorOptions): FleetTask[] {
  options.onFallback?.(reason);
  return candidates;
}
