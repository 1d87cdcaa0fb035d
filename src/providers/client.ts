import { ConfigError } from "../core/index.js";
import { type Logger, registerEnvironmentSecrets } from "../observability/index.js";
import type { Budget } from "./budget.js";
import type { ResponseCacheStore } from "./cache.js";
import { type ModelEntry, loadModelsConfig, readApiKey } from "./config.js";
import { ModelUnreachableError } from "./errors.js";
import { ConnectivityManager } from "./health.js";
import { resolveModelChoice } from "./resolve.js";
import { Router, type RouterOptions } from "./router.js";

export interface ChatClientOptions {
  /** Project root: its pyproject.toml holds `[tool.pyagent.models]`; `api-key-file` paths are relative to it. */
  root: string;
  /** `--model URL|NAME`: pins every call of the run to that model. Default: `default` from the config, else tier routing over all models. */
  model?: string;
  budget?: Budget;
  /** The response cache (e.g. `new SqliteResponseCache(database)`); omit for `--no-cache`. */
  cache?: ResponseCacheStore;
  logger?: Logger;
  /** Told of every answered call: the run record keeps prompts and replies from here. */
  onCall?: RouterOptions["onCall"];
  env?: NodeJS.ProcessEnv;
}

/**
 * The ChatModelClient of a run, from the project's configuration and the command line. Every key
 * the run may use is read (and so registered as a secret) here, before any check runs or any
 * output is written: a repository test that prints the environment is masked from the start.
 */
export async function createChatModelClient(options: ChatClientOptions): Promise<Router> {
  const config = loadModelsConfig(options.root);
  const env = options.env ?? process.env;
  registerEnvironmentSecrets(env);
  const choice = options.model ?? config.defaultModel;
  const models = choice === undefined ? config.models : [servesEveryTier(await resolveModelChoice(choice, config, { env }))];
  // The keys of the run's models: a missing key file is the user's error, said now.
  for (const entry of models) readApiKey(entry, env, options.root);
  // The keys of the other configured models are secrets PyAgent knows too (a repository test
  // could print them); one that cannot be read is not this run's concern.
  for (const entry of config.models) {
    if (!models.includes(entry)) tryReadApiKey(entry, env, options.root);
  }
  return new Router({
    models,
    budget: options.budget,
    cache: options.cache,
    logger: options.logger,
    onCall: options.onCall,
    env,
    root: options.root,
    maxResponseBytes: config.maxResponseBytes,
    connectivity: new ConnectivityManager({ ttlMs: config.healthTtlMs, env, root: options.root }),
  });
}

/**
 * The model the user named (`--model`, or `default` in the config) answers every call of the run,
 * whatever tier the call asks for: a small-tier model named on the command line must not leave
 * every medium-tier call with no model at all.
 */
function servesEveryTier(entry: ModelEntry): ModelEntry {
  return { ...entry, tier: "large" };
}

/**
 * Before a run starts: probes every model the client may use and throws ModelUnreachableError
 * (exit code 6, one line naming each model and why) when none of them can be reached. A model
 * with no cheap probe (Azure, Bedrock, Vertex) counts as reachable until a call says otherwise.
 */
export async function requireReachableModel(client: Router): Promise<void> {
  const verdicts = await client.connectivity.probeAll([...client.models], true);
  const down = client.models.map((entry) => ({ entry, health: verdicts.get(entry.name) ?? { state: "unknown" as const } }));
  if (down.length === 0) throw new ConfigError("the LLM agents need a model: configure one in [tool.pyagent.models] of pyproject.toml or pass --model URL");
  if (down.some(({ health }) => health.state !== "down")) return;
  const reasons = down.map(({ entry, health }) => `${entry.name} (${entry.baseUrl ?? entry.provider}): ${health.state === "down" ? health.reason : health.state}`);
  throw new ModelUnreachableError(`no model of this run can be reached: ${reasons.join("; ")}; start the server, check the URL and the API key (pyagent models shows each model's health)`, {
    models: client.models.map((entry) => entry.name),
  });
}

function tryReadApiKey(entry: ModelEntry, env: NodeJS.ProcessEnv, root: string): void {
  try {
    readApiKey(entry, env, root);
  } catch {
    // Registration only: a model this run does not use may name a key file that is not there.
  }
}
