/**
 * Secret masking applied to everything PyAgent writes (logs, reports, store, audit trail).
 * A value is masked when its key names a secret (api_key, token, password, authorization, ...)
 * or when the value itself looks like one (bearer headers, well-known key formats, `key=value`
 * pairs whose key names a secret), wherever it sits in a nested record.
 */
export const MASK = "[REDACTED]";

const SECRET_KEY = /(pass(word|wd|phrase)?|secret|token|api[-_]?key|apikey|auth(orization)?|credential|private[-_]?key|session[-_]?id|cookie|access[-_]?key)/i;

/** Secret-looking values and what replaces them (`$n` keeps a captured group, e.g. the key of `key=value`). */
const SECRET_VALUE_PATTERNS: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi, MASK],
  [/\bsk-(proj-|ant-)?[A-Za-z0-9_-]{16,}/g, MASK], // OpenAI / Anthropic style keys
  [/\bAKIA[0-9A-Z]{16}\b/g, MASK], // AWS access key ids
  [/\bAIza[0-9A-Za-z_-]{30,}/g, MASK], // Google API keys
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, MASK], // GitHub tokens
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, MASK], // Slack tokens
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, MASK],
  // key=value / key: value / "key": "value" where the key names a secret
  [/((?:pass(?:word|wd)?|secret|token|api[-_]?key|apikey|authorization|access[-_]?key)["']?\s*[:=]\s*["']?)[^\s"'&,;]{3,}/gi, `$1${MASK}`],
  // credentials inside URLs: scheme://user:password@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi, `$1${MASK}@`],
];

/** Masks secrets inside free text. */
export function redactText(text: string): string {
  let result = text;
  for (const [pattern, replacement] of SECRET_VALUE_PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

/** Returns a deep copy of `value` with every secret masked; cycles are cut, not followed. */
export function redact<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if (typeof value === "string") return redactText(value) as T;
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value as object)) return "[Circular]" as T;
  seen.add(value as object);
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: value.stack ? redactText(value.stack) : undefined } as T;
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, seen)) as T;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    result[key] = SECRET_KEY.test(key) && item !== null && item !== undefined && typeof item !== "boolean" && typeof item !== "number" ? MASK : redact(item, seen);
  }
  return result as T;
}
