import { readFileSync } from "node:fs";
import { z } from "zod";
import { StateVersionError, contentHash } from "../../core/index.js";

/**
 * A cassette: recorded (or hand-written) answers of an OpenAI-compatible server.
 *
 * - `mode: "ordered"`: each chat request takes the next interaction (a 400 once they run out).
 * - `mode: "matched"`: each request takes the first interaction whose `match` fits it: `hash` is
 *   `requestHash(body)`, `contains` a substring of the request's messages; interactions are reusable.
 *
 * A response is either `text` (shorthand: the server builds a chat completion, or SSE chunks when
 * the request streams, with `usage` if given), or `body` (raw JSON, any status), or `stream`
 * (raw SSE data payloads; `[DONE]` is appended). `delayMs` waits first; `hang` never answers.
 */
const usageSchema = z.object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) });

export const cassetteResponseSchema = z.object({
  status: z.number().int().min(100).max(599).default(200),
  headers: z.record(z.string(), z.string()).default({}),
  text: z.string().optional(),
  usage: usageSchema.optional(),
  body: z.unknown().optional(),
  stream: z.array(z.union([z.string(), z.record(z.string(), z.unknown())])).optional(),
  delayMs: z.number().min(0).default(0),
  hang: z.boolean().default(false),
});

export const interactionSchema = z.object({
  match: z.object({ hash: z.string().optional(), contains: z.string().optional() }).optional(),
  response: cassetteResponseSchema,
});

export const cassetteSchema = z.object({
  version: z.literal(1),
  mode: z.enum(["ordered", "matched"]).default("ordered"),
  models: z.array(z.string().min(1)).min(1).default(["scripted"]),
  interactions: z.array(interactionSchema),
});

export type Cassette = z.input<typeof cassetteSchema>;
export type ParsedCassette = z.output<typeof cassetteSchema>;
export type CassetteResponse = z.output<typeof cassetteResponseSchema>;

/** Validates a cassette object (or reads and validates a cassette file). */
export function parseCassette(source: Cassette | string): ParsedCassette {
  const raw: unknown = typeof source === "string" ? JSON.parse(readFileSync(source, "utf8")) : source;
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== 1) throw new StateVersionError(`cassette version ${String(version)} is not readable (this PyAgent reads version 1)`);
  return cassetteSchema.parse(raw);
}

/** The content address of a chat request for matched replay: its messages and whether it streams. */
export function requestHash(body: unknown): string {
  const record = (body ?? {}) as { messages?: unknown; stream?: unknown };
  return contentHash(JSON.stringify([record.messages ?? null, record.stream === true]));
}
