import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isPyAgentError } from "../../core/index.js";
import type { Logger } from "../../observability/index.js";
import {
  type BatchingOptions,
  type GenerationEvent,
  type GenerationModel,
  GenerationQueue,
  type GenerationRequest,
  GenerationRequestError,
  type GenerationTokenizer,
  PromptTooLongError,
  type Usage,
} from "../generate/index.js";
import { SamplingOptionsError } from "../sampling/index.js";
import { ApiError } from "./errors.js";
import { readBody, sendJson, startEventStream, writeEvent } from "./http.js";
import { chatGeneration, completionGeneration } from "./requests.js";
import { type CollectedChoice, type ResponseFormat, chatFormat, completionFormat, openAiUsage } from "./responses.js";
import { type ChatRequestMessage, chatRequestSchema, completionRequestSchema } from "./schemas.js";
import { createJsonThread } from "./json-thread.js";
import { LARGE_INPUT_BYTES, createTurnQueue } from "./turns.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
}

export interface EngineServerOptions {
  model: GenerationModel;
  tokenizer: GenerationTokenizer;
  /** The id clients name in `model` (and `/v1/models` lists). */
  modelId: string;
  /** Renders a conversation into prompt text with the model's chat template, ending with the assistant's turn. */
  renderChat: (messages: ChatMessage[]) => string;
  /** When set, every request needs `Authorization: Bearer <apiKey>`. Never logged. */
  apiKey?: string;
  logger?: Logger;
  /** Largest accepted request body; default 8 MiB. */
  maxBodyBytes?: number;
  /** Continuous batching and KV cache settings of the server's one queue. */
  batching?: BatchingOptions;
}

export interface EngineServer {
  readonly queue: GenerationQueue;
  /** Starts listening; resolves to the base URL (`http://host:port`). Port 0 picks a free port. */
  listen(port: number, host?: string): Promise<string>;
  /** Aborts running generations, closes connections and stops listening. */
  close(): Promise<void>;
}

/** Tokens a request has produced so far (every choice), for the log line of a client that hung up. */
interface Progress {
  tokens: number;
}

/** Names of our sampling options as the API spells them, for error `param`s. */
const API_PARAMETER: Record<string, string> = {
  temperature: "temperature",
  topK: "top_k",
  topP: "top_p",
  minP: "min_p",
  repetitionPenalty: "repetition_penalty",
  presencePenalty: "presence_penalty",
  frequencyPenalty: "frequency_penalty",
  logitBias: "logit_bias",
  seed: "seed",
};

/** The OpenAI-compatible HTTP server over one model, serving requests from one GenerationQueue. */
export function createEngineServer(options: EngineServerOptions): EngineServer {
  const queue = new GenerationQueue(options.model, options.tokenizer, options.batching);
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const created = Math.floor(Date.now() / 1000);
  const keyDigest = options.apiKey === undefined ? null : sha256(options.apiKey);
  const logger = options.logger;
  const turns = createTurnQueue();
  const jsonThread = createJsonThread();

  function authorized(request: IncomingMessage): boolean {
    if (keyDigest === null) return true;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    return match !== null && timingSafeEqual(sha256(match[1].trim()), keyDigest);
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const method = request.method ?? "GET";
    if (!authorized(request)) {
      throw new ApiError(401, "Incorrect or missing API key: send it as 'Authorization: Bearer KEY'.", {
        type: "authentication_error",
        code: "invalid_api_key",
      });
    }
    if (method === "GET" && path === "/health") {
      const counts = queue.counts;
      const kv = queue.kvBlocks;
      sendJson(response, 200, {
        status: "ok",
        model: options.modelId,
        live_sequences: queue.liveSequences,
        active_choices: queue.activeChoices,
        kv_blocks_used: kv.used,
        kv_blocks_free: kv.free,
        kv_blocks_total: kv.total,
        finished_requests: counts.finished,
        aborted_requests: counts.aborted,
      });
    } else if (method === "GET" && path === "/metrics") {
      const text = await queue.metrics.text();
      response.writeHead(200, { "content-type": queue.metrics.contentType, "content-length": Buffer.byteLength(text) });
      response.end(text);
    } else if (method === "GET" && path === "/v1/models") {
      sendJson(response, 200, { object: "list", data: [modelObject()] });
    } else if (method === "GET" && path === `/v1/models/${options.modelId}`) {
      sendJson(response, 200, modelObject());
    } else if (method === "POST" && path === "/v1/completions") {
      const body = await readBody(request, completionRequestSchema, maxBodyBytes, jsonThread);
      checkModel(body.model);
      const format = completionFormat(`cmpl-${randomBytes(12).toString("hex")}`, options.modelId, now());
      await serveGeneration(response, (signal) => completionGeneration(body, signal), format, body.stream ?? false, body.stream_options?.include_usage ?? false, "prompt");
    } else if (method === "POST" && path === "/v1/chat/completions") {
      const body = await readBody(request, chatRequestSchema, maxBodyBytes, jsonThread);
      checkModel(body.model);
      const messages = body.messages.map(toChatMessage);
      const render = () => renderPrompt(messages);
      const prompt = messages.reduce((sum, message) => sum + message.content.length, 0) > LARGE_INPUT_BYTES ? await turns(render) : render();
      const format = chatFormat(`chatcmpl-${randomBytes(12).toString("hex")}`, options.modelId, now());
      await serveGeneration(response, (signal) => chatGeneration(body, prompt, signal), format, body.stream ?? false, body.stream_options?.include_usage ?? false, "messages");
    } else if (["/health", "/metrics", "/v1/models", "/v1/completions", "/v1/chat/completions"].includes(path)) {
      throw new ApiError(405, `${method} is not allowed on ${path}`, { code: "method_not_allowed" });
    } else {
      throw new ApiError(404, `Unknown endpoint ${method} ${path}`, { type: "not_found_error", code: "unknown_url" });
    }
  }

  /** A template that refuses the conversation (e.g. roles that do not alternate) is the client's error. */
  function renderPrompt(messages: ChatMessage[]): string {
    try {
      return options.renderChat(messages);
    } catch (error) {
      if (isPyAgentError(error)) throw new ApiError(400, `The chat template could not render these messages: ${error.message}`, { param: "messages", code: "invalid_messages" });
      throw error;
    }
  }

  function modelObject(): object {
    return { id: options.modelId, object: "model", created, owned_by: "pyagent" };
  }

  function checkModel(model: string): void {
    if (model !== options.modelId) {
      throw new ApiError(404, `The model '${model}' does not exist; this server serves '${options.modelId}'.`, {
        type: "not_found_error",
        param: "model",
        code: "model_not_found",
      });
    }
  }

  async function serveGeneration(
    response: ServerResponse,
    build: (signal: AbortSignal) => GenerationRequest,
    format: ResponseFormat,
    stream: boolean,
    includeUsage: boolean,
    promptParam: string,
  ): Promise<void> {
    // A client that goes away mid-generation aborts it; the queue frees its sequences at once.
    const controller = new AbortController();
    const onClose = () => {
      if (!response.writableFinished) controller.abort(new Error("the client disconnected"));
    };
    response.on("close", onClose);
    const progress: Progress = { tokens: 0 };
    try {
      const generation = await tokenize(build(controller.signal), promptParam);
      const events = submit(generation, promptParam);
      const n = generation.n ?? 1;
      if (stream) await streamEvents(response, events, format, n, includeUsage, progress);
      else sendJson(response, 200, await collect(events, format, n, progress));
    } catch (error) {
      // A client that hangs up is normal, not a server error: one line, no stack.
      if (!controller.signal.aborted) throw error;
      logger?.info({ request: format.id, tokens: progress.tokens, stream }, "client disconnected; generation stopped");
    } finally {
      response.off("close", onClose);
    }
  }

  /** The prompt tokenized off the event loop's critical path (see GenerationQueue.tokenizeInSlices), errors as the API spells them. */
  async function tokenize(generation: GenerationRequest, promptParam: string): Promise<GenerationRequest> {
    try {
      return await queue.tokenizeInSlices(generation);
    } catch (error) {
      throw requestError(error, promptParam);
    }
  }

  function submit(generation: GenerationRequest, promptParam: string): AsyncIterableIterator<GenerationEvent> {
    try {
      return queue.submit(generation);
    } catch (error) {
      throw requestError(error, promptParam);
    }
  }

  /** A request the engine refused, as the ApiError the client gets (other errors pass through). */
  function requestError(error: unknown, promptParam: string): unknown {
    if (error instanceof PromptTooLongError) {
      const limit = error.limitedBy === "context" ? `This model's maximum context length is ${error.contextLength} tokens` : `This server's KV cache holds ${error.contextLength} tokens`;
      const promptTokens = `${error.atLeast ? "at least " : ""}${error.promptTokens}`;
      const asked =
        error.maxTokens === undefined
          ? `the prompt has ${promptTokens}.`
          : `you requested ${error.atLeast ? "at least " : ""}${error.promptTokens + error.maxTokens} tokens (${promptTokens} in the prompt, ${error.maxTokens} for the completion).`;
      return new ApiError(400, `${limit}, but ${asked}`, {
        param: error.maxTokens === undefined ? promptParam : "max_tokens",
        code: "context_length_exceeded",
      });
    }
    if (error instanceof SamplingOptionsError) {
      const parameter = String(error.context.parameter ?? "");
      return new ApiError(400, error.message, { param: API_PARAMETER[parameter] ?? parameter, code: "invalid_value" });
    }
    if (error instanceof GenerationRequestError) return new ApiError(400, error.message, { code: "invalid_value" });
    return error;
  }

  async function collect(events: AsyncIterableIterator<GenerationEvent>, format: ResponseFormat, n: number, progress: Progress): Promise<object> {
    const choices: CollectedChoice[] = Array.from({ length: n }, () => ({ text: "", deltas: [], finishReason: "stop" as const }));
    const usages: Usage[] = [];
    for await (const event of events) {
      const choice = choices[event.index];
      if (event.type === "text-delta") {
        progress.tokens++;
        choice.text += event.text;
        choice.deltas.push(event);
      } else {
        choice.finishReason = event.finishReason;
        usages.push(event.usage);
      }
    }
    return format.body(choices, openAiUsage(usages));
  }

  async function streamEvents(
    response: ServerResponse,
    events: AsyncIterableIterator<GenerationEvent>,
    format: ResponseFormat,
    n: number,
    includeUsage: boolean,
    progress: Progress,
  ): Promise<void> {
    startEventStream(response);
    const offsets = new Array<number>(n).fill(0);
    const usages: Usage[] = [];
    try {
      for (const chunk of format.streamStart(n)) writeEvent(response, chunk);
      for await (const event of events) {
        if (event.type === "text-delta") {
          progress.tokens++;
          const chunk = format.streamDelta(event, offsets[event.index]);
          offsets[event.index] += event.text.length;
          if (chunk) writeEvent(response, chunk);
        } else {
          usages.push(event.usage);
          writeEvent(response, format.streamEnd(event.index, event.finishReason));
        }
      }
      if (includeUsage) writeEvent(response, format.streamUsage(openAiUsage(usages)));
      writeEvent(response, "[DONE]");
    } catch (error) {
      if (response.destroyed) throw error; // the client is gone: the caller says so
      logger?.error({ err: error }, "generation failed mid-stream");
      writeEvent(response, toApiError(error).toBody());
    } finally {
      response.end();
    }
  }

  function toApiError(error: unknown): ApiError {
    if (error instanceof ApiError) return error;
    return new ApiError(500, "The server had an error while processing your request.", { type: "server_error" });
  }

  const server: Server = createServer((request, response) => {
    const started = performance.now();
    route(request, response)
      .catch((error: unknown) => {
        if (response.destroyed) {
          // The client went away (mid-upload, say) and the request failed with it: nobody to
          // answer, and nothing wrong with the server. One line, no stack.
          logger?.info({ method: request.method, path: request.url, reason: error instanceof Error ? error.message : String(error) }, "client disconnected");
          return;
        }
        const apiError = toApiError(error);
        if (apiError.status >= 500) logger?.error({ err: error }, "request failed");
        if (response.headersSent) response.end();
        else sendJson(response, apiError.status, apiError.toBody());
      })
      .finally(() => {
        logger?.info({ method: request.method, path: request.url, status: response.statusCode, ms: Math.round(performance.now() - started) }, "request");
      });
  });

  return {
    queue,
    listen(port, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    async close() {
      queue.close();
      await jsonThread.close();
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function toChatMessage(message: ChatRequestMessage): ChatMessage {
  const content = message.content === null ? "" : typeof message.content === "string" ? message.content : message.content.map((part) => part.text).join("");
  return { role: message.role === "developer" ? "system" : message.role, content };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
