import { afterEach, describe, expect, it } from "vitest";
import { healthProbeFor, languageModelFor } from "./adapters.js";
import { PROVIDER_KINDS, Router, type ScriptedServer, parseModelsTable, startScriptedServer } from "./index.js";

let server: ScriptedServer | undefined;
afterEach(async () => server?.close());

const reply = { text: "adapter ok", usage: { prompt_tokens: 2, completion_tokens: 2 } };

describe("provider adapters", () => {
  it("builds a language model for every provider kind, named by its model id", () => {
    for (const provider of PROVIDER_KINDS) {
      const [entry] = parseModelsTable({
        x: { provider, model: "gpt-4o-mini", "base-url": "http://127.0.0.1:9/v1", region: "us-east-1", "resource-name": "r" },
      }).models;
      const model = languageModelFor(entry!, "key", fetch);
      expect(typeof model === "object" && model.modelId).toBe("gpt-4o-mini");
    }
  });

  it("speaks to the OpenAI API with the key from OPENAI_API_KEY (against a loopback server)", async () => {
    server = await startScriptedServer({ version: 1, interactions: [{ response: reply }] });
    const models = parseModelsTable({ gpt: { provider: "openai", model: "gpt-4o-mini", "base-url": server.url } }).models;
    const router = new Router({ models, env: { OPENAI_API_KEY: "k-openai" } });
    expect(await router.complete({ messages: [{ role: "user", content: "hi" }] })).toMatchObject({ text: "adapter ok", provider: "openai", usage: { inputTokens: 2, outputTokens: 2 } });
    expect(server.requests[0]).toMatchObject({ path: "/chat/completions", hasAuthorization: true, body: { model: "gpt-4o-mini" } });
    expect(router.models[0]!.price).toEqual({ inputPerMillion: 0.15, outputPerMillion: 0.6 });
  });

  it("speaks to Azure OpenAI (deployment name as model, api-key header) against a loopback server", async () => {
    server = await startScriptedServer({ version: 1, interactions: [{ response: reply }] });
    const base = server.url.replace(/\/v1$/, "/openai");
    const models = parseModelsTable({ az: { provider: "azure", model: "my-deployment", "base-url": base, "input-price": 1, "output-price": 1 } }).models;
    const router = new Router({ models, env: { AZURE_API_KEY: "k-azure" } });
    expect((await router.complete({ messages: [{ role: "user", content: "hi" }] })).text).toBe("adapter ok");
    expect(server.requests[0]).toMatchObject({ path: "/chat/completions", hasAuthorization: true, body: { model: "my-deployment" } });
  });

  it("probes with each provider's cheap listing call, or none where it needs request signing", () => {
    const [openai, google, anthropic, bedrock] = parseModelsTable({
      o: { provider: "openai", model: "gpt-4o" },
      g: { provider: "google", model: "gemini-2.5-flash" },
      a: { provider: "anthropic", model: "claude-sonnet-4-5" },
      b: { provider: "bedrock", model: "amazon.nova-lite-v1:0", region: "us-east-1" },
    }).models;
    expect(healthProbeFor(openai!, "k")).toEqual({ url: "https://api.openai.com/v1/models", headers: { authorization: "Bearer k" } });
    expect(healthProbeFor(google!, "k")?.headers).toEqual({ "x-goog-api-key": "k" });
    expect(healthProbeFor(anthropic!, "k")?.url).toBe("https://api.anthropic.com/v1/models?limit=1");
    expect(healthProbeFor(bedrock!, undefined)).toBeUndefined();
  });
});
