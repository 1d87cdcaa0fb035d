import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Live state and running totals the metrics read at scrape time (owned by the scheduler and the KV pool). */
export interface EngineState {
  running(): number;
  waiting(): number;
  kvBlocksUsed(): number;
  kvBlocksFree(): number;
  kvBlocksCached(): number;
  kvBlockEvictions(): number;
  preemptions(): number;
}

/** The numbers `pyagent serve` logs, the same ones /metrics exposes. */
export interface EngineSnapshot {
  requestsRunning: number;
  requestsWaiting: number;
  kvBlocksUsed: number;
  kvBlocksFree: number;
  kvBlocksCached: number;
  prefixCacheQueryTokens: number;
  prefixCacheHitTokens: number;
  promptTokens: number;
  computedTokens: number;
  generationTokens: number;
  preemptions: number;
  requestsFinished: number;
  requestsAborted: number;
  /** Means over every request so far, in seconds; null before the first. */
  meanTimeToFirstToken: number | null;
  meanTimePerOutputToken: number | null;
  meanRequestLatency: number | null;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80];
const TOKEN_GAP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5];

/**
 * The engine's Prometheus metrics (text format 0.0.4 at GET /metrics), in one registry per
 * engine. Counters and histograms are updated as things happen; gauges read `EngineState` when
 * scraped, so they are never stale.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly promptTokens: Counter;
  private readonly computedTokens: Counter;
  private readonly generationTokens: Counter;
  private readonly prefixQueries: Counter;
  private readonly prefixHits: Counter;
  private readonly finished: Counter<"finish_reason">;
  private readonly timeToFirstToken: Histogram;
  private readonly timePerOutputToken: Histogram;
  private readonly requestLatency: Histogram;
  private readonly totals = { ttft: [0, 0], tpot: [0, 0], e2e: [0, 0], finished: 0, aborted: 0, computed: 0, prompt: 0, generation: 0, queries: 0, hits: 0 };
  private readonly state: EngineState;

  constructor(state: EngineState) {
    this.state = state;
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge("pyagent_requests_running", "Requests holding KV blocks and computing.", () => state.running());
    gauge("pyagent_requests_waiting", "Requests queued for admission (new or preempted).", () => state.waiting());
    gauge("pyagent_kv_blocks_used", "KV cache blocks held by requests.", () => state.kvBlocksUsed());
    gauge("pyagent_kv_blocks_free", "KV cache blocks no request holds (cached ones included).", () => state.kvBlocksFree());
    gauge("pyagent_kv_blocks_cached", "KV cache blocks whose content is in the prefix cache.", () => state.kvBlocksCached());
    // Totals kept by their owners, read when scraped like the gauges.
    const total = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    total("pyagent_kv_block_evictions_total", "Cached KV blocks whose content was dropped to make room.", () => state.kvBlockEvictions());
    total("pyagent_preemptions_total", "Running requests that gave up their KV blocks to make room (recomputed later).", () => state.preemptions());
    this.promptTokens = new Counter({ name: "pyagent_prompt_tokens_total", help: "Prompt tokens of admitted requests.", registers });
    this.computedTokens = new Counter({
      name: "pyagent_computed_tokens_total",
      help: "Tokens run through the model: prompt chunks, recomputation after preemption, and decode steps.",
      registers,
    });
    this.generationTokens = new Counter({ name: "pyagent_generation_tokens_total", help: "Tokens generated.", registers });
    this.prefixQueries = new Counter({ name: "pyagent_prefix_cache_queries_total", help: "Prompt tokens looked up in the prefix cache.", registers });
    this.prefixHits = new Counter({ name: "pyagent_prefix_cache_hits_total", help: "Prompt tokens found in the prefix cache (not recomputed).", registers });
    this.finished = new Counter({
      name: "pyagent_requests_finished_total",
      help: "Requests that ended, by reason: stop, length, or abort (cancelled or the client went away).",
      labelNames: ["finish_reason"],
      registers,
    });
    this.timeToFirstToken = new Histogram({ name: "pyagent_time_to_first_token_seconds", help: "From arrival to the first generated token.", buckets: LATENCY_BUCKETS, registers });
    this.timePerOutputToken = new Histogram({ name: "pyagent_time_per_output_token_seconds", help: "Between consecutive generated tokens of a request.", buckets: TOKEN_GAP_BUCKETS, registers });
    this.requestLatency = new Histogram({ name: "pyagent_e2e_request_latency_seconds", help: "From arrival to the end of a request.", buckets: LATENCY_BUCKETS, registers });
  }

  /** Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  admitted(promptTokens: number, prefixQueryTokens: number, prefixHitTokens: number): void {
    this.promptTokens.inc(promptTokens);
    this.prefixQueries.inc(prefixQueryTokens);
    this.prefixHits.inc(prefixHitTokens);
    this.totals.prompt += promptTokens;
    this.totals.queries += prefixQueryTokens;
    this.totals.hits += prefixHitTokens;
  }

  /** One engine step ran `tokens` tokens through the model. */
  computed(tokens: number): void {
    this.computedTokens.inc(tokens);
    this.totals.computed += tokens;
  }

  firstToken(seconds: number): void {
    this.timeToFirstToken.observe(seconds);
    this.add(this.totals.ttft, seconds);
    this.generated();
  }

  nextToken(secondsSincePrevious: number): void {
    this.timePerOutputToken.observe(secondsSincePrevious);
    this.add(this.totals.tpot, secondsSincePrevious);
    this.generated();
  }

  ended(reason: "stop" | "length" | "abort", seconds: number): void {
    this.finished.inc({ finish_reason: reason });
    if (reason === "abort") {
      this.totals.aborted++;
      return;
    }
    this.totals.finished++;
    this.requestLatency.observe(seconds);
    this.add(this.totals.e2e, seconds);
  }

  snapshot(): EngineSnapshot {
    const mean = ([sum, count]: number[]) => (count === 0 ? null : sum / count);
    return {
      requestsRunning: this.state.running(),
      requestsWaiting: this.state.waiting(),
      kvBlocksUsed: this.state.kvBlocksUsed(),
      kvBlocksFree: this.state.kvBlocksFree(),
      kvBlocksCached: this.state.kvBlocksCached(),
      prefixCacheQueryTokens: this.totals.queries,
      prefixCacheHitTokens: this.totals.hits,
      promptTokens: this.totals.prompt,
      computedTokens: this.totals.computed,
      generationTokens: this.totals.generation,
      preemptions: this.state.preemptions(),
      requestsFinished: this.totals.finished,
      requestsAborted: this.totals.aborted,
      meanTimeToFirstToken: mean(this.totals.ttft),
      meanTimePerOutputToken: mean(this.totals.tpot),
      meanRequestLatency: mean(this.totals.e2e),
    };
  }

  private generated(): void {
    this.generationTokens.inc();
    this.totals.generation++;
  }

  private add(total: number[], value: number): void {
    total[0] += value;
    total[1]++;
  }
}
