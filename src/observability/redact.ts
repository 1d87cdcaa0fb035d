/**
 * Secret masking applied to everything PyAgent writes (logs, reports, store, caches, audit trail,
 * the CLI's output) and to every request it sends to a model. Two layers:
 *
 * 1. By value: every secret PyAgent was given (provider API keys from the environment or a key
 *    file, `PYAGENT_API_KEY`, the environment variables providers read) is registered with
 *    `registerSecret` the moment it is read, and masked wherever it appears, whatever its format,
 *    also JSON-escaped (once or twice: JSON inside JSON), URL-encoded or HTML-escaped.
 * 2. By pattern: a value is masked when its key names a secret (api_key, token, password,
 *    authorization, ...) or when it looks like one (bearer headers, well-known key formats,
 *    `key=value` pairs whose key names a secret), wherever it sits in a nested record.
 *
 * Model prompts and replies get layer 1 only (`redactKnownSecrets`): the patterns would rewrite
 * code such as `password = ask()` and break the edits a model proposes.
 */
export const MASK = "[REDACTED]";

/**
 * A registered value shorter than this is ignored: masking every "a" or "1234" would mangle all
 * output while protecting nothing (no real API key or token is that short).
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * The secrets one process (or one test) knows. The CLI uses the process-wide `processSecrets`;
 * a test that must not share state makes its own and passes it to `redactText`/`redact`.
 */
export class SecretRegistry {
  private readonly values = new Set<string>();
  private readonly forms = new Set<string>();
  /** One alternation of every form of every value, longest first; rebuilt on registration. */
  private matcher: RegExp | undefined;
  private longest = 0;

  /** Adds `value` (trimmed); ignores undefined, and values shorter than MIN_SECRET_LENGTH. */
  register(value: string | undefined | null): void {
    const secret = value?.trim();
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH || this.values.has(secret)) return;
    this.values.add(secret);
    for (const form of formsOf(secret)) if (form.length >= MIN_SECRET_LENGTH) this.forms.add(form);
    const alternatives = [...this.forms].sort((a, b) => b.length - a.length);
    this.longest = alternatives[0]!.length;
    this.matcher = new RegExp(alternatives.map(escapeRegExp).join("|"), "g");
  }

  /** Length of the longest form of any registered secret (0 when none). */
  longestForm(): number {
    return this.longest;
  }

  get size(): number {
    return this.values.size;
  }

  /** Whether `text` holds a registered secret in any of its forms. */
  contains(text: string): boolean {
    if (this.matcher === undefined) return false;
    this.matcher.lastIndex = 0;
    return this.matcher.test(text);
  }

  /** `text` with every registered secret (in any of its forms) replaced by MASK. */
  mask(text: string): string {
    return this.matcher === undefined ? text : text.replace(this.matcher, MASK);
  }

  /** Forgets every value (tests, or a long-lived process that rotated its keys). */
  clear(): void {
    this.values.clear();
    this.forms.clear();
    this.matcher = undefined;
    this.longest = 0;
  }
}

/** The forms a secret takes when written into JSON (once or nested), a URL, or HTML. */
function formsOf(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const html = secret.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  return [secret, json, JSON.stringify(json).slice(1, -1), encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, "+"), html];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Every secret this process was given (see `registerSecret`). */
export const processSecrets = new SecretRegistry();

/** Registers a secret PyAgent was given, so that it is masked wherever it appears from now on. */
export function registerSecret(value: string | undefined | null, registry: SecretRegistry = processSecrets): void {
  registry.register(value);
}

/**
 * Environment variables whose values are secrets: the providers' key variables (and the AWS
 * credential chain Bedrock reads), plus any variable named like a credential (`*_KEY`,
 * `*_APIKEY`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`, `*_CREDENTIALS`).
 */
const SECRET_ENV_NAMES = new Set([
  "OPENAI_API_KEY",
  "AZURE_API_KEY",
  "GOOGLE_GENERATIVE_AI_API_KEY",
  "GOOGLE_VERTEX_API_KEY",
  "ANTHROPIC_API_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_BEARER_TOKEN_BEDROCK",
  "PYAGENT_API_KEY",
]);
const SECRET_ENV_NAME = /(^|_)(API_?KEY|KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIALS?)$/i;

/** Registers the value of every secret-named variable of `env` (the CLI calls this at start). */
export function registerEnvironmentSecrets(env: NodeJS.ProcessEnv = process.env, registry: SecretRegistry = processSecrets): void {
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (SECRET_ENV_NAMES.has(name) || SECRET_ENV_NAME.test(name))) registry.register(value);
  }
}

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

/** Masks the registered secrets only (model prompts and replies: code must stay code). */
export function redactKnownSecrets(text: string, registry: SecretRegistry = processSecrets): string {
  return registry.mask(text);
}

/** Masks secrets inside free text: registered values first, then the patterns. */
export function redactText(text: string, registry: SecretRegistry = processSecrets): string {
  let result = registry.mask(text);
  for (const [pattern, replacement] of SECRET_VALUE_PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

/** Returns a deep copy of `value` with every secret masked; cycles are cut, not followed. */
export function redact<T>(value: T, registry: SecretRegistry = processSecrets): T {
  return redactDeep(value, registry, new WeakSet());
}

function redactDeep<T>(value: T, registry: SecretRegistry, seen: WeakSet<object>): T {
  if (typeof value === "string") return redactText(value, registry) as T;
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value as object)) return "[Circular]" as T;
  seen.add(value as object);
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message, registry), stack: value.stack ? redactText(value.stack, registry) : undefined } as T;
  }
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, registry, seen)) as T;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    result[registry.mask(key)] = SECRET_KEY.test(key) && item !== null && item !== undefined && typeof item !== "boolean" && typeof item !== "number" ? MASK : redactDeep(item, registry, seen);
  }
  return result as T;
}

/**
 * Redacts a stream of text pieces (a streamed model reply) by value: a secret split across pieces
 * is still masked, because the last (longest form - 1) characters are held back until the next
 * piece or `end()`.
 */
export function streamRedactor(registry: SecretRegistry = processSecrets): { push(piece: string): string; end(): string } {
  let held = "";
  const holdBack = () => registry.longestForm() - 1;
  return {
    push(piece) {
      const masked = registry.mask(held + piece);
      const keep = Math.max(0, Math.min(masked.length, holdBack()));
      held = masked.slice(masked.length - keep);
      return masked.slice(0, masked.length - keep);
    },
    end() {
      const rest = registry.mask(held);
      held = "";
      return rest;
    },
  };
}
