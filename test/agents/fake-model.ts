import { type IncomingHttpHeaders, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request a fake model server received, exactly as it came (headers included). */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the server sends back: a JSON body with a status and headers, or `close` (stop listening). */
export type FakeReply = { status?: number; headers?: Record<string, string>; body: unknown } | "close";

export interface FakeModel {
  /** Base URL for an OpenAI-compatible client, ending in `/v1`. */
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 speaking just enough of the OpenAI chat protocol for PyAgent's
 * clients: `GET …/models` lists one model, every other request is answered by `answer`, which sees
 * the whole request (so it can echo the Authorization header it received, or go away).
 */
export async function startFakeModel(answer: (request: ReceivedRequest, index: number) => FakeReply, options: { listModels?: (request: ReceivedRequest) => FakeReply } = {}): Promise<FakeModel> {
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let chats = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const received: ReceivedRequest = { method: request.method ?? "GET", path: (request.url ?? "/").split("?")[0]!, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(received);
      const isListing = received.method === "GET" && received.path.endsWith("/models");
      const reply = isListing ? (options.listModels?.(received) ?? { body: { object: "list", data: [{ id: "fake", object: "model" }] } }) : answer(received, chats++);
      if (reply === "close") {
        void close();
        return;
      }
      const text = JSON.stringify(reply.body);
      response.writeHead(reply.status ?? 200, { ...reply.headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      response.end(text);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests, close };
}

/** An OpenAI chat completion whose message says `content` (and, when given, calls a tool with `toolArguments`). */
export function chatCompletion(content: string, toolArguments?: string): unknown {
  const toolCalls = toolArguments === undefined ? undefined : [{ id: "call_1", type: "function", function: { name: "echo", arguments: toolArguments } }];
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 0,
    model: "fake",
    choices: [{ index: 0, message: { role: "assistant", content, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: "stop" }],
    usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
  };
}

/** The messages of a chat request body, as one string (for routing on prompt text). */
export function messagesOf(request: ReceivedRequest): string {
  try {
    return JSON.stringify((JSON.parse(request.body) as { messages?: unknown }).messages ?? "");
  } catch {
    return "";
  }
}
