import { type Logger, registerEnvironmentSecrets } from "../observability/index.js";
import type { Budget } from "./budget.js";
import type { ResponseCacheStore } from "./cache.js";
import { type ModelEntry, loadModelsConfig, readApiKey } from "./config.js";
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
  for (const entry of models) readApiKey(entry, env, options.root);
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
