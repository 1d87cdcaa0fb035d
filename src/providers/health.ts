import { healthProbeFor } from "./adapters.js";
import { type ModelEntry, readApiKey, requiresApiKey } from "./config.js";
import { redactText } from "../observability/index.js";

export type Health =
  | { state: "up"; latencyMs: number; checkedAt: number }
  | { state: "down"; reason: string; checkedAt: number }
  /** Never checked, expired, or a provider with no cheap probe: presumed usable. */
  | { state: "unknown" };

export interface ConnectivityOptions {
  /** How long a probe's verdict stands (default 15 minutes). */
  ttlMs?: number;
  probeTimeoutMs?: number;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  root?: string;
  fetch?: typeof fetch;
}

/**
 * Health of each configured model's endpoint, cached with a TTL. A model seen down (by a probe or
 * by a real call that could not connect or timed out) is skipped until its verdict expires, so a
 * dead endpoint costs one timeout per TTL, not one per call. An endpoint that cannot be reached
 * takes every model it serves down with it (one Ollama, many models); a refused key only its model.
 */
export class ConnectivityManager {
  readonly ttlMs: number;
  private readonly probeTimeoutMs: number;
  private readonly now: () => number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly root: string;
  private readonly fetch: typeof fetch;
  private readonly verdicts = new Map<string, Exclude<Health, { state: "unknown" }>>();
  /** Endpoints that could not be reached, by `endpointOf`. */
  private readonly unreachable = new Map<string, { reason: string; checkedAt: number }>();

  constructor(options: ConnectivityOptions = {}) {
    this.ttlMs = options.ttlMs ?? 15 * 60_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.env = options.env ?? process.env;
    this.root = options.root ?? process.cwd();
    this.fetch = options.fetch ?? fetch;
  }

  health(entry: ModelEntry): Health {
    const endpoint = this.unreachable.get(endpointOf(entry));
    const verdict = this.verdicts.get(entry.name);
    const fresh = (checkedAt: number) => this.now() - checkedAt < this.ttlMs;
    if (endpoint !== undefined && fresh(endpoint.checkedAt) && (verdict === undefined || verdict.checkedAt <= endpoint.checkedAt)) {
      return { state: "down", reason: endpoint.reason, checkedAt: endpoint.checkedAt };
    }
    if (verdict === undefined || !fresh(verdict.checkedAt)) return { state: "unknown" };
    return verdict;
  }

  /** True while the model's last verdict is "down" and has not expired. */
  isDown(entry: ModelEntry): boolean {
    return this.health(entry).state === "down";
  }

  /** Marks the model down; `scope: "endpoint"` (no connection, no answer) marks its endpoint's other models too. */
  reportFailure(entry: ModelEntry, reason: string, scope: "model" | "endpoint" = "model"): void {
    const verdict = { state: "down" as const, reason: redactText(reason), checkedAt: this.now() };
    this.verdicts.set(entry.name, verdict);
    if (scope === "endpoint") this.unreachable.set(endpointOf(entry), { reason: verdict.reason, checkedAt: verdict.checkedAt });
  }

  reportSuccess(entry: ModelEntry, latencyMs: number): void {
    this.unreachable.delete(endpointOf(entry));
    this.verdicts.set(entry.name, { state: "up", latencyMs, checkedAt: this.now() });
  }

  /** Checks the endpoint now (or returns the cached verdict while fresh, unless `force`). */
  async probe(entry: ModelEntry, force = false): Promise<Health> {
    const cached = this.health(entry);
    if (!force && cached.state !== "unknown") return cached;
    const apiKey = readApiKey(entry, this.env, this.root);
    if (apiKey === undefined && requiresApiKey(entry)) {
      this.reportFailure(entry, `no API key: set ${entry.apiKeyEnv ?? "api-key-file"}`);
      return this.health(entry);
    }
    const probe = healthProbeFor(entry, apiKey);
    if (probe === undefined) return { state: "unknown" };
    const started = performance.now();
    try {
      const response = await this.fetch(probe.url, { headers: probe.headers, signal: AbortSignal.timeout(this.probeTimeoutMs) });
      await response.body?.cancel();
      // A server without the listing route (some OpenAI-compatible proxies) answered: it is up,
      // but the probe proves nothing about the model, so the verdict stays unknown.
      if (NO_LISTING_STATUSES.has(response.status)) return { state: "unknown" };
      if (!response.ok) this.reportFailure(entry, `GET ${new URL(probe.url).pathname} answered HTTP ${response.status}`);
      else this.reportSuccess(entry, Math.round(performance.now() - started));
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      const reason = timedOut ? `no answer within ${this.probeTimeoutMs} ms` : `unreachable: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
      this.reportFailure(entry, reason, "endpoint");
    }
    return this.health(entry);
  }

  async probeAll(entries: ModelEntry[], force = false): Promise<Map<string, Health>> {
    const results = await Promise.all(entries.map(async (entry) => [entry.name, await this.probe(entry, force)] as const));
    return new Map(results);
  }
}

const NO_LISTING_STATUSES = new Set([404, 405, 501]);

/** What "the same endpoint" means: provider and base URL (a provider's default URL when none). */
function endpointOf(entry: ModelEntry): string {
  return `${entry.provider} ${entry.baseUrl ?? "default"}`;
}
