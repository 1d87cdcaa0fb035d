import { z } from "zod";
import type { AgentTask as FleetTask, CheckOutcome as CheckResult, ModelReview } from "./types.js";
import type { JsonSchema, Tier } from "../../providers/index.js";
import { redactKnownSecrets } from "../../observability/index.js";
import { loadPrompt, renderPrompt } from "./prompts.js";
import type { ModelSession } from "./session.js";

const reviewSchema = z.object({
  summary: z.string().max(4000),
  comments: z.array(z.object({ path: z.string().max(500).optional(), line: z.number().int().optional(), body: z.string().max(2000) })).max(50).default([]),
  verdict: z.enum(["approve", "request-changes"]),
  score: z.number().min(0).max(10).default(5),
});
const reviewJsonSchema = z.toJSONSchema(reviewSchema, { io: "input" }) as JsonSchema;

/** The model reviewer's verdict, with the score it ranks candidates by. */
export type ScoredReview = ModelReview & { score: number };

/** The diff a reviewer reads is cut here (a huge diff is not reviewable, and not worth the tokens). */
const MAX_DIFF_CHARS = 24_000;

/**
 * CodeRabbit-style review of a proven diff: summary, line comments and a verdict (JSON schema).
 * A reviewer that cannot answer (provider down, broken JSON after the repair rounds) does not
 * approve: its verdict gates the commit, so no verdict means no commit.
 */
export async function reviewDiff(session: ModelSession, task: FleetTask, diff: string, checks: CheckResult[], tier: Tier = "medium"): Promise<{ ok: true; review: ScoredReview } | { ok: false; reason: string; budget: boolean }> {
  const prompt = loadPrompt("reviewer");
  const content = renderPrompt(prompt, {
    title: task.title,
    agent: task.agent,
    checks: checks.map((check) => `${check.check}: ${check.summary}`).join("; ") || "none",
    diff: cutDiff(redactKnownSecrets(diff)), // masked before the cut, which could leave half a key
  });
  const asked = await session.ask({ messages: [{ role: "user", content }], schema: reviewJsonSchema, temperature: 0, tier, agent: "reviewer", task: task.id, prompt: prompt.id });
  if (!asked.ok) return asked;
  const parsed = reviewSchema.safeParse(asked.response.json);
  if (!parsed.success) return { ok: false, reason: `the reviewer's reply does not match its schema: ${parsed.error.issues[0]?.message}`, budget: false };
  const { summary, comments, verdict, score } = parsed.data;
  return {
    ok: true,
    review: {
      approve: verdict === "approve",
      summary,
      score,
      comments: comments.map((comment) => ({ rule: "model" as const, path: comment.path, line: comment.line, message: comment.body })),
    },
  };
}

function cutDiff(diff: string): string {
  return diff.length > MAX_DIFF_CHARS ? `${diff.slice(0, MAX_DIFF_CHARS)}\n... (diff cut at ${MAX_DIFF_CHARS} characters)` : diff;
}
