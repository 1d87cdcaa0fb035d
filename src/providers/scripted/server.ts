import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type Cassette, type CassetteResponse, type ParsedCassette, parseCassette, requestHash } from "./cassette.js";

/** Headers that carry a key: OpenAI-style bearer, Azure, Anthropic, Gemini. */
const CREDENTIAL_HEADERS = ["authorization", "api-key", "x-api-key", "x-goog-api-key"];

/** What the scripted server received (credentials only as a yes/no: no key is kept). */
export interface ScriptedRequest {
  method: string;
  path: string;
  body: unknown;
  hasAuthorization: boolean;
}

export interface ScriptedServer {
  /** Base URL for an OpenAI-compatible client, ending in `/v1`. */
  url: string;
  requests: ScriptedRequest[];
  /** TCP connections accepted so far (a skipped endpoint gets none). */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (port 0) speaking the OpenAI chat-completions protocol,
 * streaming (SSE) and not, that answers from a cassette. Tests drive the real client path
 * (the AI SDK's openai-compatible adapter, fetch, SSE parsing) against it.
 */
export async function startScriptedServer(source: Cassette | string): Promise<ScriptedServer> {
  const cassette = parseCassette(source);
  const requests: ScriptedRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let next = 0;
  let chatCount = 0;

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: Error) => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: `scripted server: ${error.message}`, type: "server_error" } }));
    });
  });
  server.on("connection", (socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Any prefix serves (…/v1, Azure's …/openai/v1): the route is the path's last segments.
    const full = (request.url ?? "/").split("?")[0]!;
    const path = full.endsWith("/chat/completions") ? "/chat/completions" : full.endsWith("/models") ? "/models" : full;
    const text = await readBody(request);
    const body: unknown = text.length > 0 ? JSON.parse(text) : undefined;
    requests.push({ method: request.method ?? "GET", path, body, hasAuthorization: CREDENTIAL_HEADERS.some((name) => request.headers[name] !== undefined) });
    if (request.method === "GET" && path === "/models") {
      return sendJson(response, 200, { object: "list", data: cassette.models.map((id) => ({ id, object: "model", owned_by: "scripted" })) });
    }
    // Any other POST also takes the next answer: a raw `body` cassette can speak another provider's protocol.
    if (request.method !== "POST") return sendJson(response, 404, { error: { message: `no route ${request.method} ${path}`, type: "invalid_request_error" } });
    chatCount++;
    const answer = pick(cassette, body);
    // 400, not 5xx: a test that ran off its cassette should fail at once, not after retries.
    if (answer === undefined) return sendJson(response, 400, { error: { message: `scripted server: the cassette has no answer for chat request #${chatCount}`, type: "invalid_request_error" } });
    if (answer.hang) return; // never answers; closed with the server
    if (answer.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    await respond(response, answer, body as { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } });
  }

  function pick(parsed: ParsedCassette, body: unknown): CassetteResponse | undefined {
    if (parsed.mode === "ordered") return parsed.interactions[next++]?.response;
    const hash = requestHash(body);
    const messages = JSON.stringify((body as { messages?: unknown })?.messages ?? "");
    return parsed.interactions.find(({ match }) => (match?.hash === undefined || match.hash === hash) && (match?.contains === undefined || messages.includes(match.contains)))?.response;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

async function respond(response: ServerResponse, answer: CassetteResponse, request: { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } }): Promise<void> {
  const model = request.model ?? "scripted";
  const envelope = { id: "chatcmpl-scripted", created: 0, model };
  if (answer.body !== undefined) return sendJson(response, answer.status, answer.body, answer.headers);
  const usage = answer.usage ? { ...answer.usage, total_tokens: answer.usage.prompt_tokens + answer.usage.completion_tokens } : undefined;
  if (answer.stream === undefined && request.stream !== true) {
    return sendJson(
      response,
      answer.status,
      { ...envelope, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: answer.text ?? "" }, finish_reason: "stop" }], ...(usage ? { usage } : {}) },
      answer.headers,
    );
  }
  response.writeHead(answer.status, { ...answer.headers, "content-type": "text/event-stream", "cache-control": "no-cache" });
  const write = (payload: unknown) => response.write(`data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`);
  if (answer.stream !== undefined) {
    for (const payload of answer.stream) write(payload);
  } else {
    const chunk = (delta: object, finish: string | null) => ({ ...envelope, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] });
    write(chunk({ role: "assistant", content: "" }, null));
    for (const piece of (answer.text ?? "").match(/\S*\s*/g)!.filter((part) => part.length > 0)) write(chunk({ content: piece }, null));
    write(chunk({}, "stop"));
    if (usage && request.stream_options?.include_usage) write({ ...envelope, object: "chat.completion.chunk", choices: [], usage });
  }
  write("[DONE]");
  response.end();
}
