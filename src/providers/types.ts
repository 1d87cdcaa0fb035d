/** Capability tiers, cheapest first; a request for a tier is met by that tier or any above it. */
export const TIERS = ["small", "medium", "large"] as const;
export type Tier = (typeof TIERS)[number];

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A JSON schema object (draft 2020-12 / draft 7 subset the providers accept). */
export type JsonSchema = Record<string, unknown>;

export interface ChatRequest {
  messages: ChatMessage[];
  maxOutputTokens?: number;
  temperature?: number;
  seed?: number;
  /** Structured output: the reply must be JSON matching this schema (`json` holds the parsed value). */
  schema?: JsonSchema;
  signal?: AbortSignal;
  /** Capability the caller needs; the router picks the cheapest healthy model at or above it. */
  tier?: Tier;
  /** Skip the response cache for this call (neither read nor written). */
  noCache?: boolean;
  /** Who pays: budget accounting per agent and per task. */
  agent?: string;
  task?: string;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ChatResponse {
  text: string;
  /** The parsed, schema-valid value when the request had a `schema`. */
  json?: unknown;
  usage: TokenUsage;
  /** What this call cost; 0 when answered from the cache. */
  costUsd: number;
  /** The configured model name that answered. */
  model: string;
  provider: string;
  cached: boolean;
  /** True when the provider reported no usage and the counts are the chars/4 estimate. */
  usageEstimated?: boolean;
}

export type StreamEvent =
  | { type: "text-delta"; text: string }
  | ({ type: "finish" } & Omit<ChatResponse, "text" | "json"> & { text: string });

/** The one interface agents use for a language model, whatever serves it. */
export interface ChatModelClient {
  complete(request: ChatRequest): Promise<ChatResponse>;
  /** Text deltas as they arrive, then one `finish` event with usage and cost. */
  stream(request: ChatRequest): AsyncIterable<StreamEvent>;
}

/** One answered call, for the run record: what was asked, what came back, what it cost. */
export interface CallRecord {
  model: string;
  provider: string;
  messages: ChatMessage[];
  text: string;
  usage: TokenUsage;
  costUsd: number;
  cached: boolean;
  streamed: boolean;
  durationMs: number;
  agent?: string;
  task?: string;
}
