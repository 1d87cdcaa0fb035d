import { z } from "zod";
import { registerSecret } from "../observability/index.js";
import type { ModelEntry, ModelsConfig } from "./config.js";
import { EndpointUnreachableError, UnknownModelError } from "./errors.js";

const modelListSchema = z.object({ data: z.array(z.object({ id: z.string().min(1) })) });

export interface ResolveOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Where PYAGENT_API_KEY is read: the key of a server at a URL (`pyagent serve --api-key`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * `--model URL|NAME`: a base URL of an OpenAI-compatible server becomes a one-off model entry for
 * the first model the server lists (GET {url}/models); anything else must be a configured name.
 */
export async function resolveModelChoice(value: string, config: ModelsConfig, options: ResolveOptions = {}): Promise<ModelEntry> {
  if (!/^https?:\/\//i.test(value)) {
    const entry = config.models.find((model) => model.name === value);
    if (entry === undefined) {
      const known = config.models.map((model) => model.name);
      throw new UnknownModelError(
        `unknown model "${value}": ${known.length > 0 ? `configured models are ${known.join(", ")}` : "no models are configured in [tool.pyagent.models]"} (or pass the base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1)`,
        { model: value },
      );
    }
    return entry;
  }
  const baseUrl = value.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 5_000;
  const apiKey = (options.env ?? process.env).PYAGENT_API_KEY?.trim();
  registerSecret(apiKey);
  let body: unknown;
  try {
    const response = await (options.fetch ?? fetch)(`${baseUrl}/models`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new EndpointUnreachableError(`${baseUrl}/models answered HTTP ${response.status}; is ${baseUrl} an OpenAI-compatible server (and is its API key set)?`, { url: baseUrl, status: response.status });
    body = await response.json();
  } catch (error) {
    if (error instanceof EndpointUnreachableError) throw error;
    const reason = (error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
    throw new EndpointUnreachableError(`cannot reach the model server at ${baseUrl} (${reason}); start it (e.g. pyagent serve --model FILE.gguf) or check --model`, { url: baseUrl });
  }
  const parsed = modelListSchema.safeParse(body);
  if (!parsed.success || parsed.data.data.length === 0) {
    throw new EndpointUnreachableError(`${baseUrl}/models lists no models; is it an OpenAI-compatible server with a model loaded?`, { url: baseUrl });
  }
  const modelId = parsed.data.data[0]!.id;
  const configured = config.models.find((model) => model.provider === "openai-compatible" && model.baseUrl === baseUrl && model.modelId === modelId);
  return (
    configured ?? {
      name: modelId,
      provider: "openai-compatible",
      modelId,
      baseUrl,
      tier: "large", // the user's explicit choice serves every tier
      price: { inputPerMillion: 0, outputPerMillion: 0 },
      apiKeyEnv: "PYAGENT_API_KEY",
      structuredOutput: false,
      timeoutMs: 120_000,
    }
  );
}
