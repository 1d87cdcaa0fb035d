import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { ApiError } from "./errors.js";
import { LARGE_INPUT_BYTES, type TurnQueue } from "./turns.js";

/**
 * Reads the body (at most `limit` bytes) and validates it with `schema`; every failure is a 4xx
 * ApiError. A large body is parsed in a turn of its own (`turns`).
 */
export async function readBody<Schema extends z.ZodType>(request: IncomingMessage, schema: Schema, limit: number, turns: TurnQueue): Promise<z.infer<Schema>> {
  // The body is decoded as it arrives (a megabyte body decoded at once holds the event loop for
  // tens of milliseconds); ignoreBOM keeps a BOM in the text, as Buffer.toString did.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let text = "";
  let size = 0;
  // An oversized body is still read to its end (and dropped), so the client gets the 413 rather
  // than a connection reset while it is still sending.
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= limit) text += decoder.decode(chunk as Buffer, { stream: true });
  }
  if (size > limit) throw new ApiError(413, `the request body is larger than ${limit} bytes`, { code: "request_too_large" });
  text += decoder.decode();
  return size > LARGE_INPUT_BYTES ? turns(() => parseBody(text, schema)) : parseBody(text, schema);
}

function parseBody<Schema extends z.ZodType>(text: string, schema: Schema): z.infer<Schema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(400, "We could not parse the JSON body of your request: it is not valid JSON.", { code: "invalid_json" });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue.path.length > 0 ? issue.path.map(String).join(".") : null;
    throw new ApiError(400, param ? `Invalid value for '${param}': ${issue.message}` : `Invalid request body: ${issue.message}`, {
      param,
      code: "invalid_value",
    });
  }
  return parsed.data;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

export function startEventStream(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  response.flushHeaders();
}

/** One server-sent event carrying a JSON chunk (or the literal `[DONE]`). */
export function writeEvent(response: ServerResponse, data: unknown): void {
  response.write(`data: ${data === "[DONE]" ? data : JSON.stringify(data)}\n\n`);
}
