import { setImmediate as nextTurn } from "node:timers/promises";
import { KvBlockPool } from "../kv/index.js";
import { EngineMetrics } from "../metrics/index.js";
import type { BatchSegment } from "../runtime/index.js";
import { type ScheduledChunk, Scheduler, SchedulerRequest } from "../scheduler/index.js";
import { EventChannel } from "./channel.js";
import { GenerationAbortedError, GenerationRequestError, PromptTooLongError } from "./errors.js";
import { type BatchingOptions, type ResolvedBatching, resolveBatching } from "./options.js";
import { ChoiceTask } from "./task.js";
import type { GenerationEvent, GenerationModel, GenerationRequest, GenerationTokenizer } from "./types.js";

interface ActiveRequest {
  choices: Choice[];
  channel: EventChannel<GenerationEvent>;
  remaining: number;
  arrived: number;
  /** Choices 1 .. n-1 not yet given to the scheduler (they wait for choice 0's prompt). */
  deferred: boolean;
  /** "length" when any choice ran out of tokens, for the metrics. */
  finishReason: "stop" | "length";
  /** emitterOf(this), made once per request rather than once per token. */
  emit: (event: GenerationEvent) => void;
  detach: () => void;
}

/** One choice: what it samples (task) and what it computes (sequence), and when its last token came. */
interface Choice {
  task: ChoiceTask;
  sequence: SchedulerRequest;
  owner: ActiveRequest;
  lastTokenAt: number | null;
}

/** Sends a request's events to its consumer, noting a choice that ran out of tokens for the metrics. */
function emitterOf(owner: ActiveRequest): (event: GenerationEvent) => void {
  return (event) => {
    if (event.type === "end" && event.finishReason === "length") owner.finishReason = "length";
    owner.channel.push(event);
  };
}

/**
 * Serves generation requests with continuous batching over one paged KV cache: every engine
 * step, the scheduler picks tokens from every running request (prompt chunks and decodes alike,
 * under the token budget), the model computes them all in one pass, and each request whose chunk
 * reached its end samples its next token and sees it at once. Between steps the queue yields to
 * the event loop, so HTTP I/O, new requests and aborts are handled while it works.
 *
 * Invariant: a choice is in `choices` exactly while its sequence is not finished; finishing
 * (end, abort, error, consumer gone) releases its KV blocks in the same turn.
 */
export class GenerationQueue {
  readonly metrics: EngineMetrics;
  readonly batching: ResolvedBatching;
  private readonly model: GenerationModel;
  private readonly argmax: ((values: Float32Array) => number) | undefined;
  private readonly tokenizer: GenerationTokenizer;
  private readonly pool: KvBlockPool;
  private readonly scheduler: Scheduler;
  private readonly choices = new Map<SchedulerRequest, Choice>();
  /** (maxSeqs, vocabSize) logits of one step, and a view per row. */
  private readonly logits: Float32Array;
  private readonly logitRows: Float32Array[] = [];
  private readonly tokens: Int32Array;
  private nextId = 0;
  private running = false;
  private closed = false;

  constructor(model: GenerationModel, tokenizer: GenerationTokenizer, options: BatchingOptions = {}) {
    this.model = model;
    this.argmax = model.argmax?.bind(model);
    this.tokenizer = tokenizer;
    const { nLayers, nKvHeads, headDim, vocabSize } = model.config;
    const kvDim = nKvHeads * headDim;
    this.batching = resolveBatching(options, model.config);
    this.pool = new KvBlockPool({ nLayers, kvDim, blocks: this.batching.kvBlocks, blockSize: this.batching.blockSize });
    this.scheduler = new Scheduler(this.pool, this.batching);
    this.logits = new Float32Array(this.batching.maxSeqs * vocabSize);
    for (let row = 0; row < this.batching.maxSeqs; row++) this.logitRows.push(this.logits.subarray(row * vocabSize, (row + 1) * vocabSize));
    this.tokens = new Int32Array(this.batching.maxBatchedTokens);
    const pool = this.pool;
    const scheduler = this.scheduler;
    this.metrics = new EngineMetrics({
      running: () => scheduler.runningCount,
      waiting: () => scheduler.waitingCount,
      kvBlocksUsed: () => pool.usedBlocks,
      kvBlocksFree: () => pool.freeBlocks,
      kvBlocksCached: () => pool.cachedBlocks,
      kvBlockEvictions: () => pool.evictions,
      preemptions: () => scheduler.counters.preemptions,
    });
  }

  /** Choices that hold KV blocks right now. */
  get liveSequences(): number {
    return this.scheduler.runningCount;
  }

  /** Requests that ran to their end, and requests aborted or abandoned by their consumer. */
  get counts(): { finished: number; aborted: number } {
    const { requestsFinished, requestsAborted } = this.metrics.snapshot();
    return { finished: requestsFinished, aborted: requestsAborted };
  }

  /** Choices queued or generating. */
  get activeChoices(): number {
    return this.choices.size;
  }

  /** The KV pool's blocks: held by requests, and free (cached content included). */
  get kvBlocks(): { used: number; free: number; cached: number; total: number } {
    return { used: this.pool.usedBlocks, free: this.pool.freeBlocks, cached: this.pool.cachedBlocks, total: this.pool.blocks };
  }

  /** The most tokens (prompt + generated) one request can hold: the context, or the pool when smaller. */
  get requestLimit(): { tokens: number; limitedBy: "context" | "kv-cache" } {
    const poolTokens = this.pool.blocks * this.pool.blockSize;
    const context = this.model.config.contextLength;
    return poolTokens < context ? { tokens: poolTokens, limitedBy: "kv-cache" } : { tokens: context, limitedBy: "context" };
  }

  /** Tokenizes the prompt as a request would; for usage counts and context checks before submitting. */
  promptTokens(request: Pick<GenerationRequest, "prompt" | "addBos" | "parseSpecial">): number[] {
    if (typeof request.prompt !== "string") return [...request.prompt];
    return this.withBos(this.tokenizer.encode(request.prompt, { addBos: false, parseSpecial: request.parseSpecial ?? false }), request);
  }

  /**
   * The request with its text prompt tokenized (BOS as submit adds it), without holding the event
   * loop: a prompt whose bytes alone cannot fit is refused at once (PromptTooLongError, `atLeast`),
   * and any other is tokenized in slices of a few milliseconds, stopping as soon as it overflows,
   * so a megabyte prompt neither stalls other requests' streams nor costs more than the context.
   * Aborting `request.signal` stops the tokenizing (it rejects with the signal's reason).
   */
  async tokenizeInSlices(request: GenerationRequest): Promise<GenerationRequest> {
    if (typeof request.prompt !== "string") {
      this.checkFits(request.prompt.length, request.maxTokens, false); // before submit copies millions of ids
      return request;
    }
    const limit = this.requestLimit;
    const maxTokenBytes = this.tokenizer.maxTokenBytes ?? Number.POSITIVE_INFINITY;
    const fewest = Math.ceil(Buffer.byteLength(request.prompt, "utf8") / maxTokenBytes);
    this.checkFits(fewest, request.maxTokens, true);
    const parseSpecial = request.parseSpecial ?? false;
    const tokens = this.tokenizer.encodeInSlices
      ? await this.tokenizer.encodeInSlices(request.prompt, { parseSpecial, stopAfter: limit.tokens, signal: request.signal })
      : this.tokenizer.encode(request.prompt, { addBos: false, parseSpecial });
    // Stopped early (more than fits): the count is a lower bound; submit checks the rest.
    if (tokens.length > limit.tokens) this.checkFits(tokens.length, request.maxTokens, true);
    return { ...request, prompt: this.withBos(tokens, request) };
  }

  /** A chat template usually writes the BOS text itself; never start with two BOS tokens. */
  private withBos(tokens: number[], request: Pick<GenerationRequest, "addBos">): number[] {
    const bos = this.tokenizer.bos;
    const addBos = request.addBos ?? this.tokenizer.addBosByDefault ?? bos !== null;
    if (addBos && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
    return tokens;
  }

  /** Throws PromptTooLongError when a prompt of `promptTokens` (plus `maxTokens`, when asked) does not fit one request. */
  private checkFits(promptTokens: number, maxTokens: number | undefined, atLeast: boolean): void {
    const limit = this.requestLimit;
    if (promptTokens >= limit.tokens) throw new PromptTooLongError(promptTokens, limit.tokens, { limitedBy: limit.limitedBy, atLeast });
    if (maxTokens !== undefined && maxTokens > limit.tokens - promptTokens) {
      throw new PromptTooLongError(promptTokens, limit.tokens, { maxTokens, limitedBy: limit.limitedBy, atLeast });
    }
  }

  /**
   * Queues a request. Throws at once (before any work) on a bad request or one that does not
   * fit; otherwise returns its events. Stopping iteration early, or aborting `request.signal`,
   * frees the request's KV blocks at once; an abort makes iteration throw GenerationAbortedError.
   */
  submit(request: GenerationRequest): AsyncIterableIterator<GenerationEvent> {
    if (this.closed) throw new GenerationRequestError("the generation queue is closed");
    const n = request.n ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new GenerationRequestError(`n must be an integer >= 1, got ${n}`, { n });
    if (request.maxTokens !== undefined && (!Number.isInteger(request.maxTokens) || request.maxTokens < 1)) {
      throw new GenerationRequestError(`max tokens must be an integer >= 1, got ${request.maxTokens}`, { maxTokens: request.maxTokens });
    }
    const priority = request.priority ?? 0;
    if (!Number.isFinite(priority)) throw new GenerationRequestError(`priority must be a number, got ${request.priority}`, { priority: request.priority });
    const promptTokens = this.promptTokens(request);
    if (promptTokens.length === 0) throw new GenerationRequestError("the prompt is empty");
    const vocabSize = this.model.config.vocabSize;
    const outside = promptTokens.find((token) => !Number.isInteger(token) || token < 0 || token >= vocabSize);
    if (outside !== undefined) throw new GenerationRequestError(`prompt token ${outside} is outside the vocabulary (0 .. ${vocabSize - 1})`, { token: outside });
    this.checkFits(promptTokens.length, request.maxTokens, false);
    const maxTokens = request.maxTokens ?? this.requestLimit.tokens - promptTokens.length;
    const signal = request.signal;
    if (signal?.aborted) throw new GenerationAbortedError("the generation was aborted before it started");

    const active: ActiveRequest = {
      choices: [],
      remaining: n,
      arrived: performance.now(),
      finishReason: "stop",
      deferred: false,
      emit: () => {},
      channel: new EventChannel<GenerationEvent>(() => this.abort(active)),
      detach: () => {},
    };
    active.emit = emitterOf(active);
    for (let index = 0; index < n; index++) {
      const task = new ChoiceTask(vocabSize, this.tokenizer, {
        index,
        promptTokens,
        maxTokens,
        sampling: request.sampling ?? {},
        stop: request.stop ?? [],
        logprobs: request.logprobs,
        argmax: this.argmax,
      });
      const sequence = new SchedulerRequest(this.nextId++, promptTokens, maxTokens, this.batching.blockSize, { cacheSalt: request.cacheSalt, priority });
      active.choices.push({ task, sequence, owner: active, lastTokenAt: null });
    }
    if (signal) {
      const onAbort = () => {
        this.abort(active);
        active.channel.fail(new GenerationAbortedError("the generation was aborted", { reason: String(signal.reason) }));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      active.detach = () => signal.removeEventListener("abort", onAbort);
    }
    // With prefix caching, choices 1 .. n-1 wait until choice 0 has computed the prompt, then
    // take its full blocks from the cache instead of computing the same prompt n times.
    const deferOthers = n > 1 && this.batching.prefixCaching;
    for (const choice of active.choices) {
      this.choices.set(choice.sequence, choice);
      if (choice.task.index === 0 || !deferOthers) this.scheduler.add(choice.sequence);
    }
    active.deferred = deferOthers;
    this.pump();
    return active.channel;
  }

  /** Aborts every request and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const active of new Set([...this.choices.values()].map((choice) => choice.owner))) {
      this.drop(active);
      active.channel.fail(new GenerationAbortedError("the engine is shutting down"));
    }
  }

  /** A request cancelled by its consumer or its signal: counted once, blocks freed now. */
  private abort(active: ActiveRequest): void {
    if (active.remaining === 0) return;
    this.metrics.ended("abort", (performance.now() - active.arrived) / 1000);
    this.drop(active);
  }

  private drop(active: ActiveRequest): void {
    active.detach();
    active.remaining = 0;
    for (const choice of active.choices) {
      choice.task.cancel();
      this.scheduler.finish(choice.sequence);
      this.choices.delete(choice.sequence);
    }
  }

  private pump(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      // Requests submitted in the same turn (a burst) start together in the first step.
      await nextTurn();
      while (!this.scheduler.idle) {
        const chunks = this.scheduler.schedule();
        this.countAdmissions(chunks);
        if (chunks.length > 0) this.step(chunks);
        await nextTurn();
      }
    } finally {
      this.running = false;
    }
  }

  /** One engine step: compute every chunk in one forward pass, then sample where a chunk reached its end. */
  private step(chunks: ScheduledChunk[]): void {
    const segments: BatchSegment[] = [];
    let total = 0;
    for (const chunk of chunks) {
      const { request, start, count, sample } = chunk;
      this.tokens.set(request.tokens.subarray(start, start + count), total);
      total += count;
      segments.push({ count, position: start, blockTable: request.blockTable, logits: sample ? "last" : "none" });
    }
    try {
      this.model.forwardSegments(this.pool, this.tokens.subarray(0, total), segments, this.logits);
    } catch (error) {
      // A failed step leaves the KV contents of every chunk in doubt: end the requests it touched.
      for (const chunk of chunks) {
        const choice = this.choices.get(chunk.request);
        if (choice === undefined) continue;
        this.drop(choice.owner);
        choice.owner.channel.fail(error);
      }
      return;
    }
    this.scheduler.complete(chunks);
    this.metrics.computed(total);
    let row = 0;
    const now = performance.now();
    for (const chunk of chunks) {
      if (!chunk.sample) continue;
      const logits = this.logitRows[row++];
      const choice = this.choices.get(chunk.request);
      if (choice === undefined) continue;
      const { owner, task, sequence } = choice;
      const token = task.accept(logits, owner.emit);
      if (owner.deferred) {
        owner.deferred = false;
        for (const other of owner.choices) if (other !== choice) this.scheduler.add(other.sequence);
      }
      if (choice.lastTokenAt === null) this.metrics.firstToken((now - owner.arrived) / 1000);
      else this.metrics.nextToken((now - choice.lastTokenAt) / 1000);
      choice.lastTokenAt = now;
      if (token !== null) {
        sequence.append(token);
        continue;
      }
      this.scheduler.finish(sequence);
      this.choices.delete(sequence);
      owner.remaining--;
      if (owner.remaining === 0) {
        this.metrics.ended(owner.finishReason, (now - owner.arrived) / 1000);
        owner.detach();
        owner.channel.end();
      }
    }
  }

  /** Feeds the prompt and prefix-cache counts of the requests the last schedule() admitted to the metrics. */
  private countAdmissions(chunks: readonly ScheduledChunk[]): void {
    const caching = this.batching.prefixCaching;
    for (const { admitted, request } of chunks) {
      if (!admitted) continue;
      // A request's prompt counts once: not again per extra choice (n > 1) or after a preemption.
      const first = request.preemptions === 0 && this.choices.get(request)?.task.index === 0;
      this.metrics.admitted(first ? request.promptLength : 0, caching ? request.promptLength : 0, request.cachedTokens);
    }
  }
}

/** Generates for one request on a queue of its own, with a pool sized to it (the CLI's path; servers share one queue). */
export function generate(model: GenerationModel, tokenizer: GenerationTokenizer, request: GenerationRequest): AsyncIterableIterator<GenerationEvent> {
  return new GenerationQueue(model, tokenizer, { maxSeqs: request.n ?? 1 }).submit(request);
}
