import type { TokenUsage } from "./types.js";

/** USD per million tokens. */
export interface Price {
  inputPerMillion: number;
  outputPerMillion: number;
}

/**
 * Default prices (USD per million input/output tokens) of common cloud models, matched by model id
 * prefix (longest prefix wins). Editable: a model's `input-price` / `output-price` in
 * `[tool.pyagent.models.NAME]` overrides this table, and callers may pass their own table.
 * Local servers (openai-compatible) cost 0 unless configured.
 */
export const DEFAULT_PRICES: Record<string, Price> = {
  "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  "gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10 },
  "gpt-4.1-nano": { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  "gpt-4.1-mini": { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  "gpt-4.1": { inputPerMillion: 2, outputPerMillion: 8 },
  "o4-mini": { inputPerMillion: 1.1, outputPerMillion: 4.4 },
  "gemini-2.0-flash": { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  "gemini-2.5-flash": { inputPerMillion: 0.3, outputPerMillion: 2.5 },
  "gemini-2.5-pro": { inputPerMillion: 1.25, outputPerMillion: 10 },
  "claude-3-5-haiku": { inputPerMillion: 0.8, outputPerMillion: 4 },
  "claude-haiku-4": { inputPerMillion: 1, outputPerMillion: 5 },
  "claude-sonnet-4": { inputPerMillion: 3, outputPerMillion: 15 },
  "claude-opus-4": { inputPerMillion: 15, outputPerMillion: 75 },
  "anthropic.claude-3-5-haiku": { inputPerMillion: 0.8, outputPerMillion: 4 },
  "anthropic.claude-sonnet-4": { inputPerMillion: 3, outputPerMillion: 15 },
  "amazon.nova-micro": { inputPerMillion: 0.035, outputPerMillion: 0.14 },
  "amazon.nova-lite": { inputPerMillion: 0.06, outputPerMillion: 0.24 },
  "amazon.nova-pro": { inputPerMillion: 0.8, outputPerMillion: 3.2 },
};

/** The table's price for a model id (longest matching prefix; region prefixes like `us.` ignored). */
export function defaultPriceFor(modelId: string, table: Record<string, Price> = DEFAULT_PRICES): Price | undefined {
  const id = modelId.replace(/^(us|eu|apac|global)\./, "");
  let best: string | undefined;
  for (const prefix of Object.keys(table)) {
    if (id.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : table[best];
}

/**
 * Costs are counted in whole nano-dollars (1e-9 USD) so that sums are exact integers: a budget
 * compares integers and stops exactly at its limit, never one rounding error past it.
 */
export const NANO_PER_USD = 1_000_000_000;

export function costNanos(usage: TokenUsage, price: Price): number {
  // price per million tokens × tokens = USD × 1e6 ⇒ nanos = price × tokens × 1e3
  return Math.round(usage.inputTokens * price.inputPerMillion * 1000) + Math.round(usage.outputTokens * price.outputPerMillion * 1000);
}

export function costUsd(usage: TokenUsage, price: Price): number {
  return costNanos(usage, price) / NANO_PER_USD;
}

/**
 * Token estimate for text a provider did not count: one token per 4 characters, rounded up
 * (the usual rule of thumb for English and code with BPE tokenizers; it overestimates for
 * whitespace-heavy text, which is the safe side for a budget).
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
