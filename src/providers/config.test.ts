import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../core/index.js";
import { DEFAULT_PRICES, costUsd, defaultPriceFor, estimateTokens, loadModelsConfig, parseModelsTable } from "./index.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "pyagent-models-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const EXAMPLE = `
[tool.pyagent]
max-complexity = 20

[tool.pyagent.models]
default = "local"
health-ttl-minutes = 5

[tool.pyagent.models.local]
provider = "openai-compatible"
model = "tiny"
base-url = "http://127.0.0.1:8080/v1/"
tier = "small"

[tool.pyagent.models.mini]
provider = "openai"
model = "gpt-4o-mini"
tier = "medium"

[tool.pyagent.models.sonnet]
provider = "anthropic"
model = "claude-sonnet-4-5"
tier = "large"
output-price = 12.5
api-key-env = "MY_ANTHROPIC_KEY"
`;

describe("[tool.pyagent.models]", () => {
  it("reads models and settings beside the core config, which ignores the sub-table", () => {
    writeFileSync(join(root, "pyproject.toml"), EXAMPLE);
    expect(loadConfig(root).maxComplexity).toBe(20);
    const config = loadModelsConfig(root);
    expect(config.defaultModel).toBe("local");
    expect(config.healthTtlMs).toBe(5 * 60_000);
    expect(config.models.map((model) => [model.name, model.provider, model.tier])).toEqual([
      ["local", "openai-compatible", "small"],
      ["mini", "openai", "medium"],
      ["sonnet", "anthropic", "large"],
    ]);
    const [local, mini, sonnet] = config.models;
    expect(local).toMatchObject({ baseUrl: "http://127.0.0.1:8080/v1", price: { inputPerMillion: 0, outputPerMillion: 0 }, structuredOutput: false, apiKeyEnv: undefined });
    expect(mini).toMatchObject({ price: DEFAULT_PRICES["gpt-4o-mini"], apiKeyEnv: "OPENAI_API_KEY", structuredOutput: true });
    expect(sonnet).toMatchObject({ price: { inputPerMillion: 3, outputPerMillion: 12.5 }, apiKeyEnv: "MY_ANTHROPIC_KEY" });
  });

  it("means no models when there is no pyproject.toml or no table", () => {
    expect(loadModelsConfig(root).models).toEqual([]);
    writeFileSync(join(root, "pyproject.toml"), "[tool.pyagent]\njobs = 1\n");
    expect(loadModelsConfig(root).models).toEqual([]);
  });

  it("rejects unknown keys, bad tiers, missing base URLs and unpriced cloud models, naming the key", () => {
    expect(() => parseModelsTable({ x: { provider: "openai-compatible", model: "m", "base-url": "http://h/v1", temperature: 1 } })).toThrow(/tool\.pyagent\.models\.x/);
    expect(() => parseModelsTable({ x: { provider: "openai-compatible", model: "m", "base-url": "http://h/v1", tier: "huge" } })).toThrow(/tool\.pyagent\.models\.x\.tier/);
    expect(() => parseModelsTable({ x: { provider: "openai-compatible", model: "m" } })).toThrow(/needs base-url/);
    expect(() => parseModelsTable({ x: { provider: "openai", model: "my-finetune" } })).toThrow(/no price known for "my-finetune"; set input-price and output-price/);
    expect(() => parseModelsTable({ x: { provider: "nope", model: "m" } })).toThrow(ConfigError);
    expect(() => parseModelsTable({ default: "missing" })).toThrow(/default names "missing"/);
    expect(() => parseModelsTable({ "health-ttl-minutes": -1 })).toThrow(/health-ttl-minutes/);
  });
});

describe("price table", () => {
  it("matches model ids by longest prefix, ignoring Bedrock region prefixes", () => {
    expect(defaultPriceFor("gpt-4o-mini-2024-07-18")).toBe(DEFAULT_PRICES["gpt-4o-mini"]);
    expect(defaultPriceFor("gpt-4o-2024-08-06")).toBe(DEFAULT_PRICES["gpt-4o"]);
    expect(defaultPriceFor("us.anthropic.claude-sonnet-4-20250514-v1:0")).toBe(DEFAULT_PRICES["anthropic.claude-sonnet-4"]);
    expect(defaultPriceFor("llama-3")).toBeUndefined();
    expect(defaultPriceFor("house-model", { house: { inputPerMillion: 1, outputPerMillion: 1 } })).toEqual({ inputPerMillion: 1, outputPerMillion: 1 });
  });

  it("costs a call from its usage, and estimates uncounted tokens as chars/4 rounded up", () => {
    expect(costUsd({ inputTokens: 1_000_000, outputTokens: 2_000_000 }, { inputPerMillion: 0.15, outputPerMillion: 0.6 })).toBeCloseTo(1.35, 12);
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcd")).toBe(1);
    expect(estimateTokens("abcde")).toBe(2);
  });
});
