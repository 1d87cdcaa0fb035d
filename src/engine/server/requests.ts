import type { GenerationRequest } from "../generate/index.js";
import type { SamplingOptions } from "../sampling/index.js";
import type { ChatRequest, CompletionRequest } from "./schemas.js";

/** The OpenAI completions default when `max_tokens` is absent. */
const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

/** Sampling options from a validated body; `top_p: 0` means "only the most likely token", i.e. greedy. */
export function samplingOf(body: CompletionRequest | ChatRequest): SamplingOptions {
  const greedy = body.top_p === 0;
  const bias = body.logit_bias ? new Map(Object.entries(body.logit_bias).map(([token, value]) => [Number(token), value])) : undefined;
  return {
    temperature: greedy ? 0 : (body.temperature ?? 1),
    topP: greedy ? 1 : (body.top_p ?? 1),
    topK: body.top_k ?? 0,
    minP: body.min_p ?? 0,
    repetitionPenalty: body.repetition_penalty ?? 1,
    presencePenalty: body.presence_penalty ?? 0,
    frequencyPenalty: body.frequency_penalty ?? 0,
    logitBias: bias,
    seed: body.seed ?? undefined,
  };
}

function stopOf(body: CompletionRequest | ChatRequest): string[] {
  if (body.stop === undefined || body.stop === null) return [];
  return typeof body.stop === "string" ? [body.stop] : body.stop;
}

export function completionGeneration(body: CompletionRequest, signal: AbortSignal): GenerationRequest {
  const prompt = typeof body.prompt === "string" ? body.prompt : typeof body.prompt[0] === "string" ? (body.prompt[0] as string) : (body.prompt as number[]);
  return {
    prompt,
    maxTokens: body.max_tokens ?? COMPLETIONS_DEFAULT_MAX_TOKENS,
    sampling: samplingOf(body),
    stop: stopOf(body),
    logprobs: body.logprobs ?? undefined,
    n: body.n ?? 1,
    cacheSalt: body.cache_salt ?? undefined,
    priority: body.priority ?? undefined,
    signal,
  };
}

/** `prompt` is the chat rendered by the model's template (special tokens written as text). */
export function chatGeneration(body: ChatRequest, prompt: string, signal: AbortSignal): GenerationRequest {
  return {
    prompt,
    parseSpecial: true,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    sampling: samplingOf(body),
    stop: stopOf(body),
    logprobs: body.logprobs ? (body.top_logprobs ?? 0) : undefined,
    n: body.n ?? 1,
    cacheSalt: body.cache_salt ?? undefined,
    priority: body.priority ?? undefined,
    signal,
  };
}
