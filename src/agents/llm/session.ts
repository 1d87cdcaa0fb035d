import { redact } from "../../observability/index.js";
import { BudgetExhaustedError, NoModelAvailableError, type Budget, type CallRecord, type ChatModelClient, type ChatRequest, type ChatResponse, type Cost } from "../../providers/index.js";

/** The client the agents need: a ChatModelClient that can tell a call's worst-case cost (the Router). */
export type PricedClient = ChatModelClient & { maxCostOf?(request: ChatRequest): Cost | undefined };

/**
 * A call's outcome. On failure, `budget`: the budget stopped LLM work; `unavailable`: no model can
 * be reached any more, which stopped LLM work too (neither says anything about the task itself).
 */
export type Ask = { ok: true; response: ChatResponse } | { ok: false; reason: string; budget: boolean; unavailable?: boolean };

export interface SessionOptions {
  client: PricedClient;
  budget?: Budget;
  /** Bound on every reply (keeps a run's worst case, and a runaway model, small). */
  maxOutputTokens: number;
  noCache?: boolean;
}

/**
 * The LLM side of one run: every agent's calls go through `ask`, which (1) refuses a call whose
 * worst case could exceed the budget, and from then on refuses all new LLM work (the run "stops
 * scheduling", finishing what is proven), and (2) records every prompt and reply, secrets masked,
 * into the run's record once the fleet opened it (`recordTo`).
 */
export class ModelSession {
  /** Why LLM work stopped (the budget, or no model could be reached), once it did. */
  stopped: string | undefined;
  stoppedBy: "budget" | "model-unavailable" | undefined;
  private record: ((type: string, data: unknown) => void) | undefined;
  private readonly pending: Array<{ type: string; data: unknown }> = [];

  constructor(readonly options: SessionOptions) {}

  get budget(): Budget | undefined {
    return this.options.budget;
  }

  /** The Router's `onCall`: each answered call, cache hits included, goes to the run record. */
  readonly onCall = (call: CallRecord): void => {
    this.write("model-call", {
      agent: call.agent,
      task: call.task,
      model: call.model,
      provider: call.provider,
      cached: call.cached,
      usage: call.usage,
      costUsd: call.costUsd,
      durationMs: Math.round(call.durationMs),
      messages: call.messages,
      reply: call.text,
    });
  };

  /** Sends records to the run's audit trail (records made before the run opened are flushed first). */
  recordTo(record: (type: string, data: unknown) => void): void {
    this.record = record;
    for (const { type, data } of this.pending.splice(0)) record(type, data);
  }

  private write(type: string, data: Record<string, unknown>): void {
    const masked = redact(data);
    if (this.record) this.record(type, masked);
    else this.pending.push({ type, data: masked });
  }

  /** One call for `agent` on `task`; a shortage (budget) or a provider failure is a value, not a throw. */
  async ask(request: ChatRequest & { agent: string; task: string; prompt: string }): Promise<Ask> {
    if (this.stopped) return this.refusal();
    const { prompt, ...chat } = request;
    const call: ChatRequest = { ...chat, maxOutputTokens: chat.maxOutputTokens ?? this.options.maxOutputTokens, noCache: this.options.noCache || chat.noCache };
    const budget = this.options.budget;
    const worst = this.options.client.maxCostOf?.(call);
    if (budget && worst && !budget.canAfford(worst)) return this.stop(budget, worst);
    try {
      return { ok: true, response: await this.options.client.complete(call) };
    } catch (error) {
      if (error instanceof BudgetExhaustedError && budget) return this.stop(budget, worst);
      const message = (error as Error).message;
      if (error instanceof NoModelAvailableError && error.unreachable && !request.signal?.aborted) {
        // The model went away mid-run (connection refused, key revoked): every later call would
        // fail the same way, so LLM work stops here and the run says why, instead of counting each
        // remaining task as a failed proof.
        this.stopped ??= `model unavailable: ${message}`;
        this.stoppedBy ??= "model-unavailable";
        this.write("model-unavailable", { agent: request.agent, task: request.task, reason: message });
        return this.refusal();
      }
      // The reply of a call that failed is not available here (e.g. JSON that never validated): the prompt and the error are.
      this.write("model-call-failed", { agent: request.agent, task: request.task, prompt, messages: request.messages, error: message });
      return { ok: false, reason: `model call failed: ${message}`, budget: false };
    }
  }

  private stop(budget: Budget, worst: Cost | undefined): Ask {
    const spent = budget.spent;
    const limits = [budget.limits.usd !== undefined ? `--budget $${budget.limits.usd}` : "", budget.limits.tokens !== undefined ? `--token-budget ${budget.limits.tokens}` : ""].filter(Boolean).join(" and ");
    this.stoppedBy = "budget";
    this.stopped = `budget: the next model call (up to ${worst ? `${worst.tokens} tokens, $${worst.usd.toFixed(6)}` : "its worst case"}) could exceed ${limits} (spent ${spent.tokens} tokens, $${spent.usd.toFixed(6)}); no new LLM work was started`;
    this.write("budget-stop", { reason: this.stopped, spent });
    return this.refusal();
  }

  private refusal(): Ask {
    return { ok: false, reason: this.stopped!, budget: this.stoppedBy === "budget", unavailable: this.stoppedBy === "model-unavailable" };
  }
}
