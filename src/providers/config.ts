import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { ConfigError } from "../core/index.js";
import { registerSecret } from "../observability/index.js";
import { DEFAULT_PRICES, type Price, defaultPriceFor } from "./prices.js";
import { TIERS, type Tier } from "./types.js";

export const PROVIDER_KINDS = ["openai-compatible", "openai", "azure", "google", "vertex", "bedrock", "anthropic"] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** The environment variable each provider's key is read from unless `api-key-env` names another. */
export const DEFAULT_KEY_ENV: Record<ProviderKind, string | undefined> = {
  "openai-compatible": undefined,
  openai: "OPENAI_API_KEY",
  azure: "AZURE_API_KEY",
  google: "GOOGLE_GENERATIVE_AI_API_KEY",
  vertex: "GOOGLE_VERTEX_API_KEY",
  bedrock: undefined, // the AWS credential chain (AWS_ACCESS_KEY_ID, ...) or AWS_BEARER_TOKEN_BEDROCK
  anthropic: "ANTHROPIC_API_KEY",
};

/** One configured model, validated. Holds the NAME of the key's variable or file, never the key. */
export interface ModelEntry {
  name: string;
  provider: ProviderKind;
  modelId: string;
  baseUrl?: string;
  tier: Tier;
  price: Price;
  apiKeyEnv?: string;
  apiKeyFile?: string;
  /** The server accepts `response_format: json_schema`; otherwise the prompt-and-validate fallback. */
  structuredOutput: boolean;
  region?: string;
  resourceName?: string;
  apiVersion?: string;
  timeoutMs: number;
}

export interface ModelsConfig {
  models: ModelEntry[];
  /** Model name used when the command line names none. */
  defaultModel?: string;
  healthTtlMs: number;
  maxResponseBytes: number;
}

const modelSchema = z.strictObject({
  provider: z.enum(PROVIDER_KINDS),
  model: z.string().min(1),
  "base-url": z.url().optional(),
  tier: z.enum(TIERS).default("medium"),
  "input-price": z.number().min(0).optional(),
  "output-price": z.number().min(0).optional(),
  "api-key-env": z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name").optional(),
  "api-key-file": z.string().min(1).optional(),
  "structured-output": z.boolean().optional(),
  region: z.string().min(1).optional(),
  "resource-name": z.string().min(1).optional(),
  "api-version": z.string().min(1).optional(),
  "timeout-seconds": z.number().positive().default(120),
});

const settingsSchema = z.strictObject({
  default: z.string().min(1).optional(),
  "health-ttl-minutes": z.number().positive().default(15),
  "max-response-bytes": z.number().int().positive().default(8_000_000),
});

/** Validates the `[tool.pyagent.models]` table: scalar keys are settings, each sub-table a model. */
export function parseModelsTable(table: Record<string, unknown>, priceTable: Record<string, Price> = DEFAULT_PRICES): ModelsConfig {
  const settings: Record<string, unknown> = {};
  const models: ModelEntry[] = [];
  for (const [key, value] of Object.entries(table)) {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) models.push(parseModel(key, value as Record<string, unknown>, priceTable));
    else settings[key] = value;
  }
  const parsed = settingsSchema.safeParse(settings);
  if (!parsed.success) throw configIssue("tool.pyagent.models", parsed.error);
  const defaultModel = parsed.data.default;
  if (defaultModel !== undefined && !defaultModel.includes("://") && !models.some((model) => model.name === defaultModel)) {
    throw new ConfigError(`tool.pyagent.models.default names "${defaultModel}", which is not a configured model (known: ${models.map((model) => model.name).join(", ") || "none"})`);
  }
  return { models, defaultModel, healthTtlMs: parsed.data["health-ttl-minutes"] * 60_000, maxResponseBytes: parsed.data["max-response-bytes"] };
}

function parseModel(name: string, raw: Record<string, unknown>, priceTable: Record<string, Price>): ModelEntry {
  const parsed = modelSchema.safeParse(raw);
  if (!parsed.success) throw configIssue(`tool.pyagent.models.${name}`, parsed.error);
  const value = parsed.data;
  const needsUrl = value.provider === "openai-compatible";
  if (needsUrl && value["base-url"] === undefined) throw new ConfigError(`tool.pyagent.models.${name}: an openai-compatible model needs base-url (e.g. "http://127.0.0.1:8080/v1")`);
  const known = defaultPriceFor(value.model, priceTable);
  const inputPrice = value["input-price"] ?? known?.inputPerMillion ?? (needsUrl ? 0 : undefined);
  const outputPrice = value["output-price"] ?? known?.outputPerMillion ?? (needsUrl ? 0 : undefined);
  if (inputPrice === undefined || outputPrice === undefined) {
    throw new ConfigError(`tool.pyagent.models.${name}: no price known for "${value.model}"; set input-price and output-price (USD per million tokens)`);
  }
  return {
    name,
    provider: value.provider,
    modelId: value.model,
    baseUrl: value["base-url"]?.replace(/\/+$/, ""),
    tier: value.tier,
    price: { inputPerMillion: inputPrice, outputPerMillion: outputPrice },
    apiKeyEnv: value["api-key-env"] ?? DEFAULT_KEY_ENV[value.provider],
    apiKeyFile: value["api-key-file"],
    structuredOutput: value["structured-output"] ?? value.provider !== "openai-compatible",
    region: value.region,
    resourceName: value["resource-name"],
    apiVersion: value["api-version"],
    timeoutMs: value["timeout-seconds"] * 1000,
  };
}

function configIssue(where: string, error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  const key = issue?.path.length ? `.${issue.path.join(".")}` : "";
  return new ConfigError(`invalid ${where}${key} in pyproject.toml: ${issue?.message ?? "invalid value"}`, { key: `${where}${key}` });
}

/** Reads `[tool.pyagent.models]` from `root/pyproject.toml`; no file or no table = no models. */
export function loadModelsConfig(root: string, priceTable?: Record<string, Price>): ModelsConfig {
  const file = join(root, "pyproject.toml");
  if (!existsSync(file)) return parseModelsTable({}, priceTable);
  let document: Record<string, unknown>;
  try {
    document = parseToml(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`pyproject.toml is not valid TOML: ${(error as Error).message.split("\n")[0]}`, { file });
  }
  const table = ((document.tool as Record<string, unknown> | undefined)?.pyagent as Record<string, unknown> | undefined)?.models;
  if (table === undefined) return parseModelsTable({}, priceTable);
  if (typeof table !== "object" || table === null || Array.isArray(table)) throw new ConfigError("[tool.pyagent.models] in pyproject.toml must be a table of models");
  return parseModelsTable(table as Record<string, unknown>, priceTable);
}

/**
 * The model's API key, from the file the user named (`api-key-file`, relative to `root`, `~/` =
 * home) or the
 * environment variable (`api-key-env` or the provider's default). Undefined when none is set.
 * The key is returned to the adapter only, and registered as a secret (`registerSecret`) the
 * moment it is read, so that it is masked wherever it might appear later (an echoing server).
 */
export function readApiKey(entry: ModelEntry, env: NodeJS.ProcessEnv = process.env, root = process.cwd()): string | undefined {
  if (entry.apiKeyFile !== undefined) {
    const file = entry.apiKeyFile.startsWith("~/") ? join(homedir(), entry.apiKeyFile.slice(2)) : entry.apiKeyFile;
    const path = isAbsolute(file) ? file : join(root, file);
    if (!existsSync(path)) throw new ConfigError(`api-key-file of model ${entry.name} does not exist: ${entry.apiKeyFile}`);
    const key = readFileSync(path, "utf8").trim();
    registerSecret(key);
    return key.length > 0 ? key : undefined;
  }
  if (entry.apiKeyEnv === undefined) return undefined;
  const key = env[entry.apiKeyEnv]?.trim();
  registerSecret(key);
  return key ? key : undefined;
}

/** Whether the provider cannot work without a key we can read (bedrock may use the AWS chain). */
export function requiresApiKey(entry: ModelEntry): boolean {
  return entry.provider !== "openai-compatible" && entry.provider !== "bedrock";
}
