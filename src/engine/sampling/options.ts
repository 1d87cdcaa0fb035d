import { SamplingOptionsError } from "./errors.js";

/**
 * How the next token is chosen from the model's logits. Every field has a neutral default, so
 * `{}` means plain sampling at temperature 1 and `{ temperature: 0 }` means greedy.
 *
 * Order of processing (documented because it changes results):
 *   logit bias → repetition penalty → presence/frequency penalties        ("processed logits")
 *   → temperature → min-p → top-k → top-p → draw with the seeded generator
 * Logprobs are the log-softmax of the processed logits (before temperature and truncation), so a
 * greedy and a sampled request report the same distribution for the same context.
 */
export interface SamplingOptions {
  /** 0 picks the most likely token (greedy); otherwise logits are divided by it. Range [0, 100]. */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 disables. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability mass reaches p; 1 disables. Range (0, 1]. */
  topP?: number;
  /** Drop tokens whose probability is below minP × the most likely token's; 0 disables. Range [0, 1]. */
  minP?: number;
  /**
   * llama.cpp / Hugging Face style: for every token seen in the prompt or the output, a positive
   * logit is divided by it and a negative one multiplied. 1 disables. Range (0, 10].
   */
  repetitionPenalty?: number;
  /** OpenAI semantics: subtract this once from the logit of every token already generated. Range [-2, 2]. */
  presencePenalty?: number;
  /** OpenAI semantics: subtract this × (times generated) from each token's logit. Range [-2, 2]. */
  frequencyPenalty?: number;
  /** Added to the logit of the given token ids (OpenAI `logit_bias`, range [-100, 100]). */
  logitBias?: ReadonlyMap<number, number> | Readonly<Record<number, number>>;
  /** Same seed, same output. Absent: a random seed. */
  seed?: number;
}

/** Options with every default filled in, as the sampler uses them. */
export interface ResolvedSamplingOptions {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repetitionPenalty: number;
  presencePenalty: number;
  frequencyPenalty: number;
  /** Sparse bias as parallel arrays (token ids, biases). */
  biasTokens: Int32Array;
  biasValues: Float32Array;
  seed: number | undefined;
}

/** Fills defaults and checks ranges once; throws SamplingOptionsError naming the bad parameter. */
export function resolveSamplingOptions(options: SamplingOptions, vocabSize: number): ResolvedSamplingOptions {
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  const minP = options.minP ?? 0;
  const repetitionPenalty = options.repetitionPenalty ?? 1;
  const presencePenalty = options.presencePenalty ?? 0;
  const frequencyPenalty = options.frequencyPenalty ?? 0;
  check("temperature", temperature, temperature >= 0 && temperature <= 100, "between 0 and 100");
  check("topK", topK, Number.isInteger(topK) && topK >= 0, "an integer >= 0");
  check("topP", topP, topP > 0 && topP <= 1, "in (0, 1]");
  check("minP", minP, minP >= 0 && minP <= 1, "between 0 and 1");
  check("repetitionPenalty", repetitionPenalty, repetitionPenalty > 0 && repetitionPenalty <= 10, "in (0, 10]");
  check("presencePenalty", presencePenalty, presencePenalty >= -2 && presencePenalty <= 2, "between -2 and 2");
  check("frequencyPenalty", frequencyPenalty, frequencyPenalty >= -2 && frequencyPenalty <= 2, "between -2 and 2");
  if (options.seed !== undefined) check("seed", options.seed, Number.isFinite(options.seed), "a finite number");

  const entries: Array<[number, number]> = [];
  const bias = options.logitBias;
  if (bias) {
    const pairs = bias instanceof Map ? [...bias.entries()] : Object.entries(bias).map(([key, value]) => [Number(key), value] as [number, number]);
    for (const [token, value] of pairs) {
      check("logitBias", token, Number.isInteger(token) && token >= 0 && token < vocabSize, `token ids in [0, ${vocabSize})`);
      check("logitBias", value, value >= -100 && value <= 100, "biases between -100 and 100");
      entries.push([token, value]);
    }
  }
  return {
    temperature,
    topK,
    topP,
    minP,
    repetitionPenalty,
    presencePenalty,
    frequencyPenalty,
    biasTokens: Int32Array.from(entries, ([token]) => token),
    biasValues: Float32Array.from(entries, ([, value]) => value),
    seed: options.seed,
  };
}

function check(parameter: string, value: number, ok: boolean, range: string): void {
  if (!ok || Number.isNaN(value)) {
    throw new SamplingOptionsError(`${parameter} must be ${range}, got ${value}`, { parameter, value });
  }
}
