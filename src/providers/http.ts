import { ResponseTooLargeError } from "./errors.js";

/** Per-call record of what the capped fetch saw. */
export interface FetchWatch {
  exceededBytes?: number;
}

/**
 * A fetch whose response bodies are cut off with an error past `maxBytes`: a runaway or hostile
 * server cannot make us buffer an unbounded body. `watch` tells the caller the cap was the cause,
 * whatever error the SDK wraps it in.
 */
export function cappedFetch(maxBytes: number, watch: FetchWatch, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      watch.exceededBytes = maxBytes;
      await response.body?.cancel();
      throw new ResponseTooLargeError(`response body of ${declared} bytes exceeds the cap of ${maxBytes} bytes`, { maxBytes });
    }
    if (response.body === null) return response;
    let seen = 0;
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) {
          watch.exceededBytes = maxBytes;
          controller.error(new ResponseTooLargeError(`response body exceeds the cap of ${maxBytes} bytes`, { maxBytes }));
          return;
        }
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(counter), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/**
 * Milliseconds a server asked us to wait: `retry-after-ms`, or `retry-after` as seconds or an
 * HTTP date (RFC 9110 §10.2.3). Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Record<string, string> | undefined, now: number = Date.now()): number | undefined {
  if (headers === undefined) return undefined;
  const lower = Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
  const milliseconds = Number(lower["retry-after-ms"]);
  if (lower["retry-after-ms"] !== undefined && Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = lower["retry-after"]?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
