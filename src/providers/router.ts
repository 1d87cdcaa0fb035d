import { setTimeout as delay } from "node:timers/promises";
import { type Logger, redactKnownSecrets, streamRedactor } from "../observability/index.js";
import type { Budget, Cost, Reservation } from "./budget.js";
import { type ResponseCacheStore, responseCacheKey } from "./cache.js";
import { type CallContext, type ModelReply, completeOnModel, streamOnModel } from "./call.js";
import { type ModelEntry, readApiKey, requiresApiKey } from "./config.js";
import { BudgetExhaustedError, NoModelAvailableError, ProviderCallError, StructuredOutputError } from "./errors.js";
import { ConnectivityManager } from "./health.js";
import { NANO_PER_USD, costNanos, estimateTokens } from "./prices.js";
import { JSON_REPAIR_ATTEMPTS } from "./structured.js";
import { type CallRecord, type ChatModelClient, type ChatRequest, type ChatResponse, type StreamEvent, TIERS, type Tier, type TokenUsage } from "./types.js";

export interface RetryPolicy {
  /** Attempts per model for retryable answers (429, 5xx), before falling back. Default 3. */
  attemptsPerModel: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A retry-after longer than this sends the call to the next model instead of waiting. */
  maxRetryAfterMs: number;
}

export interface RouterOptions {
  models: ModelEntry[];
  connectivity?: ConnectivityManager;
  cache?: ResponseCacheStore;
  budget?: Budget;
  retry?: Partial<RetryPolicy>;
  /** Sent when a request names no maxOutputTokens, so every call's worst case is bounded. */
  defaultMaxOutputTokens?: number;
  maxResponseBytes?: number;
  /** Injectable for tests: the wait between retries, and the jitter's randomness. */
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  env?: NodeJS.ProcessEnv;
  root?: string;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Told of every answered call (cache hits included), e.g. to keep prompts and replies in the run record. */
  onCall?: (record: CallRecord) => void;
}

const DEFAULT_RETRY: RetryPolicy = { attemptsPerModel: 3, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 };

/** `unreachable` on "next": the model failed for want of a connection or an accepted key, not for its answer. */
type Decision = { action: "retry"; delayMs: number } | { action: "next"; reason: string; unreachable: boolean } | { action: "throw" };

/** Why each model of a chain was passed over, and whether each reason was unreachability. */
type Failure = { reason: string; unreachable: boolean };

/**
 * The ChatModelClient agents use. Each call names a tier; the chain is every configured model at
 * or above it, cheapest first, minus those the connectivity manager knows are down. A call walks
 * the chain: retryable answers (429 honouring retry-after, 5xx) are retried on the same model with
 * backoff and jitter; a dead endpoint, a timeout or a refusal moves on to the next model.
 */
export class Router implements ChatModelClient {
  readonly models: readonly ModelEntry[];
  readonly connectivity: ConnectivityManager;
  private readonly options: RouterOptions;
  private readonly retry: RetryPolicy;
  private readonly sleep: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(options: RouterOptions) {
    this.options = options;
    this.models = options.models;
    this.connectivity = options.connectivity ?? new ConnectivityManager({ env: options.env, root: options.root, fetch: options.fetch });
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.sleep = options.sleep ?? ((milliseconds, signal) => delay(milliseconds, undefined, { signal }));
    this.random = options.random ?? Math.random;
  }

  /** Models able to serve `tier`, cheapest first (config order breaks ties), known-down ones left out. */
  chainFor(tier: Tier = "small"): { chain: ModelEntry[]; skipped: string[] } {
    const rank = TIERS.indexOf(tier);
    const skipped: string[] = [];
    const chain = this.models
      .filter((entry) => TIERS.indexOf(entry.tier) >= rank)
      .filter((entry) => {
        const health = this.connectivity.health(entry);
        if (health.state === "down") skipped.push(`${entry.name}: down (${health.reason})`);
        else if (requiresApiKey(entry) && this.apiKey(entry) === undefined) skipped.push(`${entry.name}: no API key (set ${entry.apiKeyEnv ?? "api-key-file"})`);
        else return true;
        return false;
      })
      .map((entry, index) => ({ entry, index, price: entry.price.inputPerMillion + entry.price.outputPerMillion }))
      .sort((a, b) => a.price - b.price || a.index - b.index)
      .map(({ entry }) => entry);
    return { chain, skipped };
  }

  /**
   * The most `request` could cost on the first model of its chain (undefined when none is up):
   * what a scheduler passes to `budget.canAfford` before it starts LLM work.
   */
  maxCostOf(request: ChatRequest): Cost | undefined {
    const entry = this.chainFor(request.tier).chain[0];
    return entry === undefined ? undefined : worstCase(entry, this.effective(request));
  }

  async complete(request: ChatRequest): Promise<ChatResponse> {
    const effective = this.effective(request);
    const { chain, skipped } = this.chainFor(request.tier);
    const failures: Failure[] = skipped.map((reason) => ({ reason, unreachable: true }));
    for (const entry of chain) {
      if (this.skipIfDown(entry, failures)) continue;
      const key = responseCacheKey(entry, effective);
      const hit = effective.noCache ? undefined : cachedReply(this.options.cache, key);
      if (hit) {
        this.record(entry, effective, hit.text, hit.usage, 0, true, false, 0);
        return { ...hit, costUsd: 0, model: entry.name, provider: entry.provider, cached: true };
      }
      for (let attempt = 0; ; attempt++) {
        const reservation = this.reserve(entry, effective);
        const started = performance.now();
        let reply: ModelReply;
        try {
          reply = withoutKnownSecrets(await completeOnModel(entry, effective, this.context(entry)));
        } catch (error) {
          if (error instanceof StructuredOutputError) this.settle(entry, error.usage, reservation, effective);
          else if (reservation) this.options.budget!.release(reservation);
          const decision = this.decide(error, entry, attempt, effective.signal);
          if (decision.action === "throw") throw error;
          if (decision.action === "next") {
            failures.push({ reason: `${entry.name}: ${decision.reason}`, unreachable: decision.unreachable });
            break;
          }
          await this.sleep(decision.delayMs, effective.signal);
          continue;
        }
        const durationMs = Math.round(performance.now() - started);
        this.connectivity.reportSuccess(entry, durationMs);
        const costUsd = this.settle(entry, reply.usage, reservation, effective);
        if (!effective.noCache) this.options.cache?.put(key, entry.name, { text: reply.text, json: reply.json, usage: reply.usage });
        this.record(entry, effective, reply.text, reply.usage, costUsd, false, false, durationMs);
        return { text: reply.text, json: reply.json, usage: reply.usage, costUsd, model: entry.name, provider: entry.provider, cached: false, usageEstimated: reply.usageEstimated };
      }
    }
    throw noModel(request.tier ?? "small", failures);
  }

  async *stream(request: ChatRequest): AsyncGenerator<StreamEvent> {
    const effective = this.effective(request);
    const { chain, skipped } = this.chainFor(request.tier);
    const failures: Failure[] = skipped.map((reason) => ({ reason, unreachable: true }));
    for (const entry of chain) {
      if (this.skipIfDown(entry, failures)) continue;
      const key = responseCacheKey(entry, effective);
      const hit = effective.noCache ? undefined : cachedReply(this.options.cache, key);
      if (hit) {
        this.record(entry, effective, hit.text, hit.usage, 0, true, true, 0);
        yield { type: "text-delta", text: hit.text };
        yield { type: "finish", text: hit.text, usage: hit.usage, costUsd: 0, model: entry.name, provider: entry.provider, cached: true };
        return;
      }
      for (let attempt = 0; ; attempt++) {
        const reservation = this.reserve(entry, effective);
        const started = performance.now();
        const parts = streamOnModel(entry, effective, this.context(entry));
        let first: IteratorResult<Awaited<ReturnType<typeof parts.next>>["value"]>;
        try {
          first = await parts.next(); // until the first part arrives, failing over is still invisible to the caller
        } catch (error) {
          if (reservation) this.options.budget!.release(reservation);
          const decision = this.decide(error, entry, attempt, effective.signal);
          if (decision.action === "throw") throw error;
          if (decision.action === "next") {
            failures.push({ reason: `${entry.name}: ${decision.reason}`, unreachable: decision.unreachable });
            break;
          }
          await this.sleep(decision.delayMs, effective.signal);
          continue;
        }
        // From the first delta on this model owns the call: errors reach the caller, and a caller
        // who stops reading closes the HTTP stream. A stream cut short is charged its estimate
        // (prompt and streamed text at chars/4): the tokens were generated either way.
        let text = "";
        let settled = false;
        const redactor = streamRedactor();
        try {
          for (let part = first; !part.done; part = await parts.next()) {
            if (part.value.type === "text-delta") {
              const piece = redactor.push(part.value.text);
              text += piece;
              if (piece.length > 0) yield { type: "text-delta", text: piece };
              continue;
            }
            const rest = redactor.end();
            text += rest;
            if (rest.length > 0) yield { type: "text-delta", text: rest };
            const durationMs = Math.round(performance.now() - started);
            this.connectivity.reportSuccess(entry, durationMs);
            const costUsd = this.settle(entry, part.value.usage, reservation, effective);
            settled = true;
            if (!effective.noCache) this.options.cache?.put(key, entry.name, { text, usage: part.value.usage });
            this.record(entry, effective, text, part.value.usage, costUsd, false, true, durationMs);
            yield { type: "finish", text, usage: part.value.usage, costUsd, model: entry.name, provider: entry.provider, cached: false, usageEstimated: part.value.usageEstimated };
            return;
          }
        } finally {
          if (!settled) this.settle(entry, { inputTokens: promptTokens(effective), outputTokens: estimateTokens(text) }, reservation, effective);
          await parts.return(undefined);
        }
        return;
      }
    }
    throw noModel(request.tier ?? "small", failures);
  }

  /** A model whose endpoint went down earlier in this same call (a shared server) is not tried. */
  private skipIfDown(entry: ModelEntry, failures: Failure[]): boolean {
    const health = this.connectivity.health(entry);
    if (health.state !== "down") return false;
    failures.push({ reason: `${entry.name}: down (${health.reason})`, unreachable: true });
    return true;
  }

  /**
   * The request as sent: a secret PyAgent knows never goes to a model (a check's output or a file
   * that echoed a key is masked), and the cache key is computed from the masked messages.
   */
  private effective(request: ChatRequest): ChatRequest {
    const messages = request.messages.map((message) => ({ ...message, content: redactKnownSecrets(message.content) }));
    return { ...request, messages, maxOutputTokens: request.maxOutputTokens ?? this.options.defaultMaxOutputTokens ?? 4096 };
  }

  private apiKey(entry: ModelEntry): string | undefined {
    return readApiKey(entry, this.options.env ?? process.env, this.options.root ?? process.cwd());
  }

  private context(entry: ModelEntry): CallContext {
    return { apiKey: this.apiKey(entry), maxResponseBytes: this.options.maxResponseBytes ?? 8_000_000, fetch: this.options.fetch, logger: this.options.logger };
  }

  /**
   * Reserves the call's worst case on `entry`. Throws when the budget could not cover it: the
   * caller should have stopped scheduling LLM work (`budget.canAfford(router.maxCostOf(request))`).
   */
  private reserve(entry: ModelEntry, request: ChatRequest): Reservation | null {
    const budget = this.options.budget;
    if (budget === undefined) return null;
    const maxCost = worstCase(entry, request);
    const reservation = budget.reserve(maxCost, { agent: request.agent, task: request.task });
    if (reservation === null) {
      throw new BudgetExhaustedError(`the budget cannot cover the next call on ${entry.name} (worst case $${maxCost.usd.toFixed(6)}, ${maxCost.tokens} tokens); no new LLM work is started`, {
        model: entry.name,
        remaining: budget.remaining(),
      });
    }
    return reservation;
  }

  private settle(entry: ModelEntry, usage: TokenUsage, reservation: Reservation | null, request: ChatRequest): number {
    const costUsd = costNanos(usage, entry.price) / NANO_PER_USD;
    const actual = { usd: costUsd, tokens: usage.inputTokens + usage.outputTokens };
    if (reservation) this.options.budget!.commit(reservation, actual);
    else this.options.budget?.charge(actual, { agent: request.agent, task: request.task });
    return costUsd;
  }

  private record(entry: ModelEntry, request: ChatRequest, text: string, usage: TokenUsage, costUsd: number, cached: boolean, streamed: boolean, durationMs: number): void {
    this.options.onCall?.({ model: entry.name, provider: entry.provider, messages: request.messages, text, usage, costUsd, cached, streamed, durationMs, agent: request.agent, task: request.task });
  }

  private decide(error: unknown, entry: ModelEntry, attempt: number, signal: AbortSignal | undefined): Decision {
    if (signal?.aborted || !(error instanceof ProviderCallError)) return { action: "throw" };
    this.options.logger?.warn({ model: entry.name, kind: error.kind, status: error.status, attempt }, error.message);
    if (error.kind === "connection" || error.kind === "timeout") {
      this.connectivity.reportFailure(entry, error.message, "endpoint");
      return { action: "next", reason: error.message, unreachable: true };
    }
    if (error.status === 401 || error.status === 403) {
      this.connectivity.reportFailure(entry, error.message);
      return { action: "next", reason: error.message, unreachable: true };
    }
    if (!error.retryable || attempt + 1 >= this.retry.attemptsPerModel) return { action: "next", reason: error.message, unreachable: false };
    if (error.retryAfterMs !== undefined) {
      if (error.retryAfterMs > this.retry.maxRetryAfterMs) return { action: "next", reason: `${error.message} (asked to wait ${Math.round(error.retryAfterMs / 1000)} s)`, unreachable: false };
      return { action: "retry", delayMs: error.retryAfterMs + Math.round(this.random() * 100) };
    }
    // Exponential backoff with "equal jitter": half fixed, half random, so retries spread out.
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
    return { action: "retry", delayMs: Math.round(ceiling / 2 + this.random() * (ceiling / 2)) };
  }
}

/**
 * A model's reply with every known secret masked (a provider that echoes the key it was sent):
 * what the agents see, what the cache keeps and what the run record holds are the same text.
 */
function withoutKnownSecrets(reply: ModelReply): ModelReply {
  const text = redactKnownSecrets(reply.text);
  if (reply.json === undefined) return { ...reply, text };
  const json = JSON.stringify(reply.json);
  const masked = redactKnownSecrets(json);
  return { ...reply, text, json: masked === json ? reply.json : (JSON.parse(masked) as unknown) };
}

/** A cached reply, masked again: rows written before a key was known (or by an older PyAgent) hold it raw. */
function cachedReply(cache: ResponseCacheStore | undefined, key: string): ReturnType<ResponseCacheStore["get"]> {
  const hit = cache?.get(key);
  if (hit === undefined) return undefined;
  const { text, json, usage } = withoutKnownSecrets({ ...hit, usageEstimated: false });
  return json === undefined ? { text, usage } : { text, json, usage };
}

/**
 * Worst case of one call on `entry`: the prompt (chars/4 estimate) plus every output token it may
 * produce, times the rounds structured output may take.
 */
function worstCase(entry: ModelEntry, request: ChatRequest): Cost {
  const rounds = request.schema ? JSON_REPAIR_ATTEMPTS + 1 : 1;
  const worst: TokenUsage = { inputTokens: promptTokens(request) * rounds, outputTokens: request.maxOutputTokens! * rounds };
  return { usd: costNanos(worst, entry.price) / NANO_PER_USD, tokens: worst.inputTokens + worst.outputTokens };
}

/** The chars/4 estimate of what a request sends (messages, and the schema when it has one). */
function promptTokens(request: ChatRequest): number {
  return estimateTokens(request.messages.map((message) => message.content).join("\n")) + (request.schema ? estimateTokens(JSON.stringify(request.schema)) : 0);
}

function noModel(tier: Tier, failures: Failure[]): NoModelAvailableError {
  const detail = failures.length > 0 ? `: ${failures.map((failure) => failure.reason).join("; ")}` : " (configure one in [tool.pyagent.models] or pass --model URL)";
  const unreachable = failures.length > 0 && failures.every((failure) => failure.unreachable);
  return new NoModelAvailableError(`no model could serve a ${tier}-tier call${detail}`, { tier }, unreachable);
}

export function createRouter(options: RouterOptions): Router {
  return new Router(options);
}
