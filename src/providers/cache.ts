import type { Database } from "better-sqlite3";
import { z } from "zod";
import { StateVersionError, contentHash } from "../core/index.js";
import { redactKnownSecrets } from "../observability/index.js";
import type { ChatMessage, JsonSchema, TokenUsage } from "./types.js";

/** What a cache row holds: the reply (known secrets masked), never the request's keys or headers. */
export interface CachedReply {
  text: string;
  json?: unknown;
  usage: TokenUsage;
}

/** Where cached replies live; the SQLite table below, or anything with the same two calls. */
export interface ResponseCacheStore {
  get(key: string): CachedReply | undefined;
  put(key: string, model: string, reply: CachedReply): void;
}

/**
 * The content address of a request: the model that would answer it and everything that shapes
 * its reply (messages, sampling parameters, output schema). Same key ⇒ same question.
 */
export function responseCacheKey(
  model: { provider: string; modelId: string; baseUrl?: string },
  request: { messages: ChatMessage[]; maxOutputTokens?: number; temperature?: number; seed?: number; schema?: JsonSchema },
): string {
  return contentHash(
    JSON.stringify([model.provider, model.modelId, model.baseUrl ?? null, request.messages, request.maxOutputTokens ?? null, request.temperature ?? null, request.seed ?? null, request.schema ?? null]),
  );
}

const CACHE_VERSION = 1;
const rowSchema = z.object({
  version: z.number(),
  text: z.string(),
  json: z.unknown().optional(),
  usage: z.object({ inputTokens: z.number().int().min(0), outputTokens: z.number().int().min(0) }),
});

/** The response cache as a table of the project's SQLite store (the caller owns the handle). */
export class SqliteResponseCache implements ResponseCacheStore {
  private readonly select;
  private readonly insert;

  constructor(database: Database) {
    database.exec(`CREATE TABLE IF NOT EXISTS provider_response_cache (
      key TEXT PRIMARY KEY,
      model TEXT NOT NULL,
      reply TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`);
    this.select = database.prepare<[string], { reply: string }>("SELECT reply FROM provider_response_cache WHERE key = ?");
    this.insert = database.prepare("INSERT OR REPLACE INTO provider_response_cache (key, model, reply, created_at) VALUES (?, ?, ?, ?)");
  }

  get(key: string): CachedReply | undefined {
    const row = this.select.get(key);
    if (row === undefined) return undefined;
    const parsed = rowSchema.safeParse(JSON.parse(row.reply));
    if (!parsed.success || parsed.data.version !== CACHE_VERSION) {
      throw new StateVersionError(`provider_response_cache row ${key} is not a version ${CACHE_VERSION} reply; delete the table to rebuild the cache`, { key });
    }
    const { text, json, usage } = parsed.data;
    return json === undefined ? { text, usage } : { text, json, usage };
  }

  put(key: string, model: string, reply: CachedReply): void {
    this.insert.run(key, model, redactKnownSecrets(JSON.stringify({ version: CACHE_VERSION, ...reply })), Date.now());
  }
}

/** The response cache in memory: for one process (tests, a dry run); the same contract as SQLite. */
export class MemoryResponseCache implements ResponseCacheStore {
  private readonly replies = new Map<string, string>();

  get(key: string): CachedReply | undefined {
    const stored = this.replies.get(key);
    return stored === undefined ? undefined : (JSON.parse(stored) as CachedReply); // our own serialization: a copy, never shared state
  }

  put(key: string, _model: string, reply: CachedReply): void {
    this.replies.set(key, redactKnownSecrets(JSON.stringify(reply)));
  }
}
