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

describe("provider adapters against loopback servers speaking their own protocols", () => {
  it("Anthropic: Messages API with x-api-key, usage mapped", async () => {
    server = await startScriptedServer({
      version: 1,
      interactions: [
        {
          response: {
            body: { id: "msg_1", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [{ type: "text", text: "from claude" }], stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: 11, output_tokens: 3 } },
          },
        },
      ],
    });
    const models = parseModelsTable({ claude: { provider: "anthropic", model: "claude-sonnet-4-5", "base-url": server.url } }).models;
    const router = new Router({ models, env: { ANTHROPIC_API_KEY: "k-anthropic" } });
    expect(await router.complete({ messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }], maxOutputTokens: 50 })).toMatchObject({
      text: "from claude",
      usage: { inputTokens: 11, outputTokens: 3 },
      provider: "anthropic",
    });
    expect(server.requests[0]).toMatchObject({ path: "/v1/messages", hasAuthorization: true, body: { model: "claude-sonnet-4-5", max_tokens: 50, system: [{ type: "text", text: "be brief" }] } });
    expect(await router.connectivity.probe(router.models[0]!, true)).toMatchObject({ state: "up" });
  });

  it("Gemini: generateContent with x-goog-api-key, usage mapped", async () => {
    server = await startScriptedServer({
      version: 1,
      interactions: [
        {
          response: {
            body: { candidates: [{ content: { role: "model", parts: [{ text: "from gemini" }] }, finishReason: "STOP", index: 0 }], usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 2, totalTokenCount: 9 } },
          },
        },
      ],
    });
    const models = parseModelsTable({ gem: { provider: "google", model: "gemini-2.5-flash", "base-url": server.url } }).models;
    const router = new Router({ models, env: { GOOGLE_GENERATIVE_AI_API_KEY: "k-google" } });
    expect(await router.complete({ messages: [{ role: "user", content: "hi" }] })).toMatchObject({ text: "from gemini", usage: { inputTokens: 7, outputTokens: 2 }, provider: "google" });
    expect(server.requests[0]).toMatchObject({ path: "/v1/models/gemini-2.5-flash:generateContent", hasAuthorization: true });
  });

  it("Bedrock: Converse API with a bearer API key, usage mapped", async () => {
    server = await startScriptedServer({
      version: 1,
      interactions: [{ response: { body: { output: { message: { role: "assistant", content: [{ text: "from bedrock" }] } }, stopReason: "end_turn", usage: { inputTokens: 5, outputTokens: 4, totalTokens: 9 } } } }],
    });
    const models = parseModelsTable({ nova: { provider: "bedrock", model: "amazon.nova-lite-v1:0", region: "us-east-1", "base-url": server.url, "api-key-env": "BEDROCK_KEY" } }).models;
    const router = new Router({ models, env: { BEDROCK_KEY: "k-bedrock" } });
    expect(await router.complete({ messages: [{ role: "user", content: "hi" }] })).toMatchObject({ text: "from bedrock", usage: { inputTokens: 5, outputTokens: 4 }, provider: "bedrock" });
    expect(server.requests[0]!.path).toMatch(/^\/v1\/model\/amazon\.nova-lite-v1(%3A|:)0\/converse$/);
    expect(server.requests[0]!.hasAuthorization).toBe(true);
  });
});
