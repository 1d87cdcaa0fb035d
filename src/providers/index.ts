export type { CallRecord, ChatMessage, ChatModelClient, ChatRequest, ChatResponse, JsonSchema, StreamEvent, Tier, TokenUsage } from "./types.js";
export { TIERS } from "./types.js";
export {
  BudgetExhaustedError,
  EndpointUnreachableError,
  ModelUnreachableError,
  NoModelAvailableError,
  ProviderCallError,
  ProviderError,
  ResponseTooLargeError,
  StructuredOutputError,
  UnknownModelError,
} from "./errors.js";
export { type ModelEntry, type ModelsConfig, type ProviderKind, PROVIDER_KINDS, DEFAULT_KEY_ENV, loadModelsConfig, parseModelsTable, readApiKey, requiresApiKey } from "./config.js";
export { DEFAULT_PRICES, type Price, costUsd, defaultPriceFor, estimateTokens } from "./prices.js";
export { Budget, type BudgetLimits, type Cost, type Reservation, type Spend } from "./budget.js";
export { type CachedReply, MemoryResponseCache, type ResponseCacheStore, SqliteResponseCache, responseCacheKey } from "./cache.js";
export { ConnectivityManager, type ConnectivityOptions, type Health } from "./health.js";
export { Router, type RouterOptions, type RetryPolicy, createRouter } from "./router.js";
export { type ChatClientOptions, createChatModelClient, requireReachableModel } from "./client.js";
export { type ResolveOptions, resolveModelChoice } from "./resolve.js";
export { type Cassette, type CassetteRecorder, type ScriptedServer, parseCassette, requestHash, startCassetteRecorder, startScriptedServer } from "./scripted/index.js";
