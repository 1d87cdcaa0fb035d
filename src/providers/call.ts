import { APICallError, type LanguageModel, type OutputInterface, generateText, streamText } from "ai";
import { type Logger, MASK, redactText } from "../observability/index.js";
import { languageModelFor } from "./adapters.js";
import type { ModelEntry } from "./config.js";
import { ProviderCallError, ResponseTooLargeError, StructuredOutputError } from "./errors.js";
import { type FetchWatch, cappedFetch, retryAfterMs } from "./http.js";
import { estimateTokens } from "./prices.js";
import { JSON_REPAIR_ATTEMPTS, checkJsonReply, repairTurn, withJsonInstruction } from "./structured.js";
import type { ChatMessage, ChatRequest, JsonSchema, TokenUsage } from "./types.js";

// The AI SDK prints provider warnings ("seed is not supported", ...) with console.info, which is
// stdout, where PyAgent's command output goes. They go to PyAgent's logger instead (debug level).
if (globalThis.AI_SDK_LOG_WARNINGS === undefined) globalThis.AI_SDK_LOG_WARNINGS = false;

export interface CallContext {
  apiKey: string | undefined;
  logger?: Logger;
  maxResponseBytes: number;
  /** The transport under the byte cap (tests may count requests; production uses global fetch). */
  fetch?: typeof fetch;
}

export interface ModelReply {
  text: string;
  json?: unknown;
  usage: TokenUsage;
  /** The provider reported no usage; counts are the chars/4 estimate. */
  usageEstimated: boolean;
}

export type ModelStreamPart = { type: "text-delta"; text: string } | { type: "usage"; usage: TokenUsage; usageEstimated: boolean };

interface Prepared {
  model: LanguageModel;
  watch: FetchWatch;
  signal: AbortSignal;
  timeout: AbortSignal;
  /** Stops the call when its consumer goes away (a stream closed early). */
  stop: AbortController;
}

function prepare(entry: ModelEntry, request: ChatRequest, context: CallContext): Prepared {
  const watch: FetchWatch = {};
  const timeout = AbortSignal.timeout(entry.timeoutMs);
  const stop = new AbortController();
  const signal = AbortSignal.any(request.signal ? [request.signal, timeout, stop.signal] : [timeout, stop.signal]);
  return { model: languageModelFor(entry, context.apiKey, cappedFetch(context.maxResponseBytes, watch, context.fetch)), watch, signal, timeout, stop };
}

/** An output mode that asks the provider for JSON-schema output but leaves validation to us. */
function jsonSchemaOutput(schema: JsonSchema): OutputInterface<string, string, never> {
  return {
    name: "json-schema",
    responseFormat: Promise.resolve({ type: "json", schema: schema as never, name: "response" }),
    parseCompleteOutput: async ({ text }) => text,
    parsePartialOutput: async () => undefined,
    createElementStreamTransform: () => undefined,
  };
}

function settings(entry: ModelEntry, request: ChatRequest, messages: ChatMessage[], prepared: Prepared) {
  const nativeJson = request.schema !== undefined && entry.structuredOutput;
  return {
    model: prepared.model,
    messages,
    allowSystemInMessages: true,
    maxOutputTokens: request.maxOutputTokens,
    temperature: request.temperature,
    seed: request.seed,
    abortSignal: prepared.signal,
    maxRetries: 0, // the router retries, with retry-after and fallback
    ...(nativeJson ? { output: jsonSchemaOutput(request.schema!) } : {}),
  };
}

function usageOf(reported: { inputTokens: number | undefined; outputTokens: number | undefined }, messages: ChatMessage[], text: string): { usage: TokenUsage; usageEstimated: boolean } {
  const estimated = reported.inputTokens === undefined || reported.outputTokens === undefined;
  return {
    usage: {
      inputTokens: reported.inputTokens ?? estimateTokens(messages.map((message) => message.content).join("\n")),
      outputTokens: reported.outputTokens ?? estimateTokens(text),
    },
    usageEstimated: estimated,
  };
}

/** One model, one request: plain text, or JSON validated (and repaired a bounded number of times). */
export async function completeOnModel(entry: ModelEntry, request: ChatRequest, context: CallContext): Promise<ModelReply> {
  let messages = request.schema && !entry.structuredOutput ? withJsonInstruction(request.messages, request.schema) : request.messages;
  const total: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  let anyEstimated = false;
  for (let attempt = 0; ; attempt++) {
    const reply = await generateOnModel(entry, request, messages, context);
    total.inputTokens += reply.usage.inputTokens;
    total.outputTokens += reply.usage.outputTokens;
    anyEstimated ||= reply.usageEstimated;
    if (request.schema === undefined) return { ...reply, usage: total, usageEstimated: anyEstimated };
    const checked = checkJsonReply(reply.text, request.schema);
    if (checked.ok) return { text: reply.text, json: checked.value, usage: total, usageEstimated: anyEstimated };
    if (attempt >= JSON_REPAIR_ATTEMPTS) {
      throw new StructuredOutputError(`model ${entry.name} gave no valid JSON for the schema after ${attempt + 1} attempts: ${checked.problem}`, { model: entry.name, attempts: attempt + 1 }, total);
    }
    messages = [...messages, ...repairTurn(reply.text, checked.problem)];
  }
}

async function generateOnModel(entry: ModelEntry, request: ChatRequest, messages: ChatMessage[], context: CallContext): Promise<ModelReply> {
  const prepared = prepare(entry, request, context);
  try {
    const result = await generateText(settings(entry, request, messages, prepared));
    if (result.warnings?.length) context.logger?.debug({ model: entry.name, warnings: result.warnings }, "provider warnings");
    return { text: result.text, ...usageOf(result.usage, messages, result.text) };
  } catch (error) {
    throw providerErrorOf(error, entry, prepared, request.signal, context.apiKey);
  } finally {
    prepared.stop.abort(); // no-op after a complete stream; ends the HTTP request when closed early
  }
}

/** One model, streamed: text deltas, then one usage part. */
export async function* streamOnModel(entry: ModelEntry, request: ChatRequest, context: CallContext): AsyncGenerator<ModelStreamPart> {
  // Streams are not validated (a partial reply cannot be); the fallback instruction still applies.
  const messages = request.schema && !entry.structuredOutput ? withJsonInstruction(request.messages, request.schema) : request.messages;
  const prepared = prepare(entry, request, context);
  let text = "";
  try {
    const result = streamText({ ...settings(entry, request, messages, prepared), onError: () => {} });
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") {
        text += part.text;
        yield { type: "text-delta", text: part.text };
      } else if (part.type === "error") {
        throw part.error;
      } else if (part.type === "abort") {
        throw prepared.signal.reason ?? new Error("stream aborted");
      } else if (part.type === "finish") {
        yield { type: "usage", ...usageOf(part.totalUsage, messages, text) };
      }
    }
  } catch (error) {
    throw providerErrorOf(error, entry, prepared, request.signal, context.apiKey);
  } finally {
    prepared.stop.abort(); // no-op after a complete stream; ends the HTTP request when closed early
  }
}

/**
 * Maps whatever the SDK threw to our typed errors. The caller's own abort passes through
 * unchanged; messages are redacted, so an echoed key never leaves this function.
 */
function providerErrorOf(error: unknown, entry: ModelEntry, prepared: Prepared, userSignal: AbortSignal | undefined, apiKey: string | undefined): unknown {
  // Servers echo keys in error bodies ("Incorrect API key provided: ..."); a key of no known
  // format escapes redactText, so the exact key is masked too.
  const clean = (text: string) => {
    const masked = redactText(firstLine(text));
    return apiKey ? masked.replaceAll(apiKey, MASK) : masked;
  };
  if (userSignal?.aborted) return error;
  if (prepared.watch.exceededBytes !== undefined) {
    return new ResponseTooLargeError(`model ${entry.name} sent a response larger than ${prepared.watch.exceededBytes} bytes; the call was stopped`, { model: entry.name, maxBytes: prepared.watch.exceededBytes });
  }
  if (error instanceof ProviderCallError) return error;
  const where = `model ${entry.name} (${entry.provider} ${entry.modelId})`;
  if (prepared.timeout.aborted) {
    return new ProviderCallError(`${where} timed out after ${entry.timeoutMs / 1000} s`, { model: entry.name, kind: "timeout", retryable: true }, { cause: error });
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === undefined) {
      return new ProviderCallError(`${where} is unreachable at ${entry.baseUrl ?? "its default endpoint"}: ${clean(error.message)}`, { model: entry.name, kind: "connection", retryable: true });
    }
    const retryable = error.isRetryable || status === 408 || status === 429 || status >= 500;
    return new ProviderCallError(`${where} answered HTTP ${status}: ${clean(error.message).slice(0, 300)}`, {
      model: entry.name,
      kind: "http",
      status,
      retryable,
      retryAfterMs: retryAfterMs(error.responseHeaders),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|socket/i.test(message)) {
    return new ProviderCallError(`${where} is unreachable: ${clean(message)}`, { model: entry.name, kind: "connection", retryable: true });
  }
  return new ProviderCallError(`${where} sent a reply that could not be read: ${clean(message).slice(0, 300)}`, { model: entry.name, kind: "invalid-response", retryable: false });
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
