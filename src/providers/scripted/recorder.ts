import { writeFileSync } from "node:fs";
import { type IncomingMessage, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Cassette } from "./cassette.js";
import { requestHash } from "./cassette.js";

export interface CassetteRecorder {
  /** Point the client here (ends in `/v1`); requests go on to the target. */
  url: string;
  /** Interactions recorded so far. */
  cassette(): Cassette;
  /** Stops the proxy and writes the cassette file (mode "matched", keyed by request hash). */
  close(): Promise<void>;
}

/** Response headers worth replaying; everything else (cookies, request ids) is dropped. */
const KEPT_HEADERS = ["retry-after", "retry-after-ms", "content-type"];

/**
 * Records real traffic into a cassette: a loopback proxy in front of an OpenAI-compatible server.
 * Request headers (the API key among them) are forwarded but never recorded; only the request's
 * hash, the response status, a few headers and the body or SSE payloads are written.
 */
export async function startCassetteRecorder(options: { target: string; file: string }): Promise<CassetteRecorder> {
  const target = options.target.replace(/\/+$/, "");
  const interactions: Cassette["interactions"] = [];
  let models: string[] = [];

  const server = createServer((request, response) => {
    void (async () => {
      const text = await readBody(request);
      const path = (request.url ?? "/").replace(/^\/v1/, "");
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (request.headers.authorization) headers.authorization = request.headers.authorization;
      const upstream = await fetch(`${target}${path}`, { method: request.method, headers, body: request.method === "POST" ? text : undefined });
      const kept = Object.fromEntries(KEPT_HEADERS.flatMap((name) => (upstream.headers.get(name) ? [[name, upstream.headers.get(name)!]] : [])));
      response.writeHead(upstream.status, kept);
      const raw = Buffer.from(await upstream.arrayBuffer());
      response.end(raw);
      const body: unknown = text.length > 0 ? JSON.parse(text) : undefined;
      const replyText = raw.toString("utf8");
      if (request.method === "GET" && path === "/models" && upstream.ok) {
        models = (JSON.parse(replyText) as { data: Array<{ id: string }> }).data.map((model) => model.id);
        return;
      }
      if (path !== "/chat/completions") return;
      const isStream = (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
      const payloads = isStream
        ? replyText
            .split("\n")
            .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
            .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>)
        : undefined;
      const headersOut = Object.fromEntries(Object.entries(kept).filter(([name]) => name !== "content-type"));
      interactions.push({
        match: { hash: requestHash(body) },
        response: { status: upstream.status, headers: headersOut, ...(payloads ? { stream: payloads } : { body: JSON.parse(replyText) as unknown }) },
      });
    })().catch((error: Error) => {
      if (!response.headersSent) response.writeHead(502, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: `recorder: ${error.message}`, type: "server_error" } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cassette = (): Cassette => ({ version: 1, mode: "matched", models: models.length > 0 ? models : ["scripted"], interactions: [...interactions] });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    cassette,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      writeFileSync(options.file, `${JSON.stringify(cassette(), null, 2)}\n`);
    },
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
