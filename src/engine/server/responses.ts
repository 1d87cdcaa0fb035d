import type { FinishReason, GenerationEvent, TokenLogprob, TokenLogprobs, Usage } from "../generate/index.js";

type TextDelta = Extract<GenerationEvent, { type: "text-delta" }>;

/** Everything one choice produced, for non-streaming responses. */
export interface CollectedChoice {
  text: string;
  deltas: TextDelta[];
  finishReason: FinishReason;
}

/** How one endpoint spells its responses (OpenAI's completions and chat formats differ). */
export interface ResponseFormat {
  /** The response's id (`cmpl-...`, `chatcmpl-...`), also the request's id in the log. */
  readonly id: string;
  /** Chunks sent before any text (chat announces the assistant role per choice). */
  streamStart(n: number): object[];
  streamDelta(event: TextDelta, textOffset: number): object | null;
  streamEnd(index: number, finishReason: FinishReason): object;
  streamUsage(usage: OpenAiUsage): object;
  body(choices: CollectedChoice[], usage: OpenAiUsage): object;
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function openAiUsage(usages: Usage[]): OpenAiUsage {
  // The prompt is counted once however many choices share it, as OpenAI does.
  const prompt = usages.length > 0 ? usages[0].promptTokens : 0;
  const completion = usages.reduce((sum, usage) => sum + usage.completionTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** How OpenAI shows a token: its output text (a lone byte of a multi-byte character decodes to U+FFFD) and its bytes. */
function tokenView(entry: TokenLogprob): { token: string; bytes: number[] } {
  if (entry.bytes) return { token: utf8.decode(entry.bytes), bytes: Array.from(entry.bytes) };
  const token = entry.text.replaceAll("\u2581", " ");
  return { token, bytes: Array.from(Buffer.from(token, "utf8")) };
}

interface LegacyLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Array<Record<string, number>>;
  text_offset: number[];
}

function legacyLogprobs(deltas: TextDelta[], startOffset: number): LegacyLogprobs | null {
  const withLogprobs = deltas.filter((delta) => delta.logprobs !== undefined);
  if (withLogprobs.length === 0) return null;
  const result: LegacyLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let offset = startOffset;
  for (const delta of deltas) {
    const logprobs = delta.logprobs as TokenLogprobs | undefined;
    if (logprobs) {
      result.tokens.push(tokenView(logprobs).token);
      result.token_logprobs.push(logprobs.logprob);
      result.top_logprobs.push(Object.fromEntries(logprobs.top.map((entry) => [tokenView(entry).token, entry.logprob])));
      result.text_offset.push(offset);
    }
    offset += delta.text.length;
  }
  return result;
}

function chatLogprobs(deltas: TextDelta[]): { content: object[] } | null {
  const content = deltas
    .filter((delta) => delta.logprobs !== undefined)
    .map((delta) => {
      const logprobs = delta.logprobs as TokenLogprobs;
      return {
        ...tokenView(logprobs),
        logprob: logprobs.logprob,
        top_logprobs: logprobs.top.map((entry) => ({ ...tokenView(entry), logprob: entry.logprob })),
      };
    });
  return content.length === 0 ? null : { content };
}

export function completionFormat(id: string, model: string, created: number): ResponseFormat {
  const envelope = { id, object: "text_completion", created, model };
  return {
    id,
    streamStart: () => [],
    streamDelta: (event, textOffset) => {
      const logprobs = legacyLogprobs([event], textOffset);
      if (event.text.length === 0 && logprobs === null) return null;
      return { ...envelope, choices: [{ index: event.index, text: event.text, logprobs, finish_reason: null }] };
    },
    streamEnd: (index, finishReason) => ({ ...envelope, choices: [{ index, text: "", logprobs: null, finish_reason: finishReason }] }),
    streamUsage: (usage) => ({ ...envelope, choices: [], usage }),
    body: (choices, usage) => ({
      ...envelope,
      choices: choices.map((choice, index) => ({
        index,
        text: choice.text,
        logprobs: legacyLogprobs(choice.deltas, 0),
        finish_reason: choice.finishReason,
      })),
      usage,
    }),
  };
}

export function chatFormat(id: string, model: string, created: number): ResponseFormat {
  const chunk = { id, object: "chat.completion.chunk", created, model, system_fingerprint: null };
  return {
    id,
    streamStart: (n) =>
      Array.from({ length: n }, (_, index) => ({
        ...chunk,
        choices: [{ index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
      })),
    streamDelta: (event) => {
      const logprobs = chatLogprobs([event]);
      if (event.text.length === 0 && logprobs === null) return null;
      return { ...chunk, choices: [{ index: event.index, delta: { content: event.text }, logprobs, finish_reason: null }] };
    },
    streamEnd: (index, finishReason) => ({ ...chunk, choices: [{ index, delta: {}, logprobs: null, finish_reason: finishReason }] }),
    streamUsage: (usage) => ({ ...chunk, choices: [], usage }),
    body: (choices, usage) => ({
      id,
      object: "chat.completion",
      created,
      model,
      system_fingerprint: null,
      choices: choices.map((choice, index) => ({
        index,
        message: { role: "assistant", content: choice.text, refusal: null },
        logprobs: chatLogprobs(choice.deltas),
        finish_reason: choice.finishReason,
      })),
      usage,
    }),
  };
}
