import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { ApiError } from "./errors.js";
import type { JsonThread, ParsedJson } from "./json-thread.js";
import { LARGE_INPUT_BYTES } from "./turns.js";

/**
 * Reads the body (at most `limit` bytes) and validates it with `schema`; every failure is a 4xx
 * ApiError. A large body is parsed on the JSON thread, off the event loop.
 */
export async function readBody<Schema extends z.ZodType>(request: IncomingMessage, schema: Schema, limit: number, json: JsonThread): Promise<z.infer<Schema>> {
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is still read to its end (and dropped), so the client gets the 413 rather
  // than a connection reset while it is still sending.
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw new ApiError(413, `the request body is larger than ${limit} bytes`, { code: "request_too_large" });
  if (size <= LARGE_INPUT_BYTES) return validate(parseJson(Buffer.concat(chunks).toString("utf8")), schema);
  return validate(await json.parse(Buffer.concat(chunks)), schema);
}

function parseJson(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function validate<Schema extends z.ZodType>(parsedJson: ParsedJson, schema: Schema): z.infer<Schema> {
  if (!parsedJson.ok) throw new ApiError(400, "We could not parse the JSON body of your request: it is not valid JSON.", { code: "invalid_json" });
  const json = parsedJson.value;
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
