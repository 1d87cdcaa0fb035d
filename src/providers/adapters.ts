import { createAmazonBedrock } from "@ai-sdk/amazon-bedrock";
import { createAnthropic } from "@ai-sdk/anthropic";
import { createAzure } from "@ai-sdk/azure";
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import type { ModelEntry } from "./config.js";

/**
 * Vertex AI reached with an API key (Vertex "express mode") through the Gemini adapter: the same
 * generateContent protocol under the publisher path. Service-account auth needs
 * `@ai-sdk/google-vertex`, which is not a dependency.
 */
export const VERTEX_EXPRESS_BASE_URL = "https://aiplatform.googleapis.com/v1/publishers/google";

/**
 * The AI SDK language model for one configured model: each provider a thin adapter. `fetch` is
 * the capped fetch of the call; retries are the router's job, so the SDK's own are off upstream.
 */
export function languageModelFor(entry: ModelEntry, apiKey: string | undefined, fetch: typeof globalThis.fetch): LanguageModel {
  switch (entry.provider) {
    case "openai-compatible":
      return createOpenAICompatible({
        name: entry.name,
        baseURL: entry.baseUrl!,
        apiKey,
        fetch,
        includeUsage: true,
        supportsStructuredOutputs: entry.structuredOutput,
      }).chatModel(entry.modelId);
    case "openai":
      return createOpenAI({ apiKey, baseURL: entry.baseUrl, fetch }).chat(entry.modelId);
    case "azure":
      return createAzure({ apiKey, resourceName: entry.resourceName, baseURL: entry.baseUrl, apiVersion: entry.apiVersion, fetch }).chat(entry.modelId);
    case "google":
      return createGoogleGenerativeAI({ apiKey, baseURL: entry.baseUrl, fetch }).chat(entry.modelId);
    case "vertex":
      return createGoogleGenerativeAI({ apiKey, baseURL: entry.baseUrl ?? VERTEX_EXPRESS_BASE_URL, fetch, name: "vertex" }).chat(entry.modelId);
    case "bedrock":
      return createAmazonBedrock({ region: entry.region, apiKey, baseURL: entry.baseUrl, fetch }).languageModel(entry.modelId);
    case "anthropic":
      return createAnthropic({ apiKey, baseURL: entry.baseUrl, fetch }).chat(entry.modelId);
  }
}

/**
 * A cheap request that proves the endpoint answers and accepts the key, or undefined where the
 * provider has none without signing (Bedrock's SigV4, Azure deployments): those are presumed
 * healthy until a call fails.
 */
export function healthProbeFor(entry: ModelEntry, apiKey: string | undefined): { url: string; headers: Record<string, string> } | undefined {
  switch (entry.provider) {
    case "openai-compatible":
    case "openai":
      return { url: `${entry.baseUrl ?? "https://api.openai.com/v1"}/models`, headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} };
    case "google":
      return { url: `${entry.baseUrl ?? "https://generativelanguage.googleapis.com/v1beta"}/models?pageSize=1`, headers: apiKey ? { "x-goog-api-key": apiKey } : {} };
    case "anthropic":
      return { url: `${entry.baseUrl ?? "https://api.anthropic.com/v1"}/models?limit=1`, headers: { "anthropic-version": "2023-06-01", ...(apiKey ? { "x-api-key": apiKey } : {}) } };
    case "azure":
    case "vertex":
    case "bedrock":
      return undefined;
  }
}
