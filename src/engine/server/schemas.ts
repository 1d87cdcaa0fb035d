import { z } from "zod";

/**
 * Request bodies of the OpenAI-compatible endpoints, validated once at the HTTP edge. Unknown
 * fields are ignored (clients send many optional ones); known fields are range-checked so a bad
 * value is a 400 naming the parameter. `top_k`, `min_p` and `repetition_penalty` are the usual
 * extensions (vLLM, llama.cpp).
 */
const samplingFields = {
  model: z.string().min(1),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().gt(0).max(10).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string().regex(/^\d+$/, "token ids"), z.number().min(-100).max(100)).nullish(),
  seed: z.number().int().nullish(),
  n: z.number().int().min(1).max(16).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  user: z.string().nullish(),
  /** vLLM's extensions: requests with different salts never share prefix-cache blocks; lower priority runs first. */
  cache_salt: z.string().min(1).max(256).nullish(),
  priority: z.number().int().min(-1000000).max(1000000).nullish(),
};

/**
 * A prompt of token ids, checked in one plain loop: zod's per-element checks cost ~0.4 µs an id,
 * a second of blocked event loop for the 2M ids an 8 MB body can hold.
 */
const tokenIdsSchema = z.custom<number[]>(
  (value) => Array.isArray(value) && value.length > 0 && value.every((id) => Number.isInteger(id) && id >= 0),
  "expected a string, an array of one string, or a non-empty array of token ids (integers >= 0)",
);

export const completionRequestSchema = z.object({
  ...samplingFields,
  prompt: z.union([
    z.string(),
    z.array(z.string()).length(1, "one prompt per request"),
    tokenIdsSchema,
  ]),
  logprobs: z.number().int().min(0).max(20).nullish(),
  echo: z.literal(false).nullish(),
  best_of: z.literal(1).nullish(),
  suffix: z.null().optional(),
});
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

const contentPartSchema = z.object({ type: z.literal("text"), text: z.string() });
const messageSchema = z.object({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z.union([z.string(), z.array(contentPartSchema), z.null()]),
});

export const chatRequestSchema = z.object({
  ...samplingFields,
  messages: z.array(messageSchema).min(1),
  max_completion_tokens: z.number().int().min(1).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatRequestMessage = z.infer<typeof messageSchema>;
