import { setImmediate as nextTurn } from "node:timers/promises";
import { EventChannel } from "./channel.js";
import { GenerationAbortedError, GenerationRequestError, PromptTooLongError } from "./errors.js";
import { ChoiceTask } from "./task.js";
import type { GenerationEvent, GenerationModel, GenerationRequest, GenerationTokenizer } from "./types.js";

interface ActiveRequest {
  tasks: ChoiceTask[];
  channel: EventChannel<GenerationEvent>;
  remaining: number;
  detach: () => void;
}

/**
 * Serves generation requests one model step at a time, round-robin over every live choice, and
 * yields to the event loop between steps so HTTP I/O and aborts are handled while it works.
 * (Continuous batching replaces this in the next issue; the request/event interface stays.)
 *
 * Invariant: a choice is in `order` exactly while it is neither done nor freed; freeing happens in
 * the same turn as the abort, end or error that causes it.
 */
export class GenerationQueue {
  private readonly model: GenerationModel;
  private readonly tokenizer: GenerationTokenizer;
  private order: ChoiceTask[] = [];
  private readonly owners = new Map<ChoiceTask, ActiveRequest>();
  private cursor = 0;
  private running = false;
  private closed = false;
  private finishedCount = 0;
  private abortedCount = 0;

  constructor(model: GenerationModel, tokenizer: GenerationTokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /** Choices that hold a sequence (KV memory) right now. */
  get liveSequences(): number {
    let live = 0;
    for (const task of this.order) if (task.live) live++;
    return live;
  }

  /** Requests that ran to their end, and requests aborted or abandoned by their consumer. */
  get counts(): { finished: number; aborted: number } {
    return { finished: this.finishedCount, aborted: this.abortedCount };
  }

  /** Choices queued or generating. */
  get activeChoices(): number {
    return this.order.length;
  }

  /** Tokenizes the prompt as a request would; for usage counts and context checks before submitting. */
  promptTokens(request: Pick<GenerationRequest, "prompt" | "addBos" | "parseSpecial">): number[] {
    if (typeof request.prompt !== "string") return [...request.prompt];
    const bos = this.tokenizer.bos;
    const tokens = this.tokenizer.encode(request.prompt, { addBos: false, parseSpecial: request.parseSpecial ?? false });
    // A chat template usually writes the BOS text itself; never start with two BOS tokens.
    const addBos = request.addBos ?? this.tokenizer.addBosByDefault ?? bos !== null;
    if (addBos && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
    return tokens;
  }

  /**
   * Queues a request. Throws at once (before any work) on a bad request or a prompt that does not
   * fit the context; otherwise returns its events. Stopping iteration early, or aborting
   * `request.signal`, frees the request's sequences at once; an abort makes iteration throw
   * GenerationAbortedError.
   */
  submit(request: GenerationRequest): AsyncIterableIterator<GenerationEvent> {
    if (this.closed) throw new GenerationRequestError("the generation queue is closed");
    const n = request.n ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new GenerationRequestError(`n must be an integer >= 1, got ${n}`, { n });
    if (request.maxTokens !== undefined && (!Number.isInteger(request.maxTokens) || request.maxTokens < 1)) {
      throw new GenerationRequestError(`max tokens must be an integer >= 1, got ${request.maxTokens}`, { maxTokens: request.maxTokens });
    }
    const promptTokens = this.promptTokens(request);
    if (promptTokens.length === 0) throw new GenerationRequestError("the prompt is empty");
    const vocabSize = this.model.config.vocabSize;
    const outside = promptTokens.find((token) => !Number.isInteger(token) || token < 0 || token >= vocabSize);
    if (outside !== undefined) throw new GenerationRequestError(`prompt token ${outside} is outside the vocabulary (0 .. ${vocabSize - 1})`, { token: outside });
    const contextLength = this.model.config.contextLength;
    if (promptTokens.length >= contextLength) throw new PromptTooLongError(promptTokens.length, contextLength);
    const room = contextLength - promptTokens.length;
    const maxTokens = Math.min(request.maxTokens ?? room, room);

    const tasks: ChoiceTask[] = [];
    for (let index = 0; index < n; index++) {
      tasks.push(
        new ChoiceTask(this.model, this.tokenizer, {
          index,
          promptTokens,
          maxTokens,
          sampling: request.sampling ?? {},
          stop: request.stop ?? [],
          logprobs: request.logprobs,
        }),
      );
    }
    const signal = request.signal;
    const active: ActiveRequest = {
      tasks,
      remaining: n,
      channel: new EventChannel<GenerationEvent>(() => {
        this.abortedCount++;
        this.drop(active);
      }),
      detach: () => {},
    };
    if (signal) {
      if (signal.aborted) throw new GenerationAbortedError("the generation was aborted before it started");
      const onAbort = () => {
        this.abortedCount++;
        this.drop(active);
        active.channel.fail(new GenerationAbortedError("the generation was aborted", { reason: String(signal.reason) }));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      active.detach = () => signal.removeEventListener("abort", onAbort);
    }
    for (const task of tasks) {
      this.order.push(task);
      this.owners.set(task, active);
    }
    this.pump();
    return active.channel;
  }

  /** Aborts every request and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const active of new Set(this.owners.values())) {
      this.drop(active);
      active.channel.fail(new GenerationAbortedError("the engine is shutting down"));
    }
  }

  private drop(active: ActiveRequest): void {
    active.detach();
    for (const task of active.tasks) {
      task.free();
      this.owners.delete(task);
    }
    this.order = this.order.filter((task) => !active.tasks.includes(task));
  }

  private pump(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.order.length > 0) {
        if (this.cursor >= this.order.length) this.cursor = 0;
        const task = this.order[this.cursor];
        const active = this.owners.get(task) as ActiveRequest;
        try {
          task.step((event) => active.channel.push(event));
        } catch (error) {
          this.drop(active);
          active.channel.fail(error);
          continue;
        }
        if (task.done) {
          this.order.splice(this.cursor, 1);
          this.owners.delete(task);
          active.remaining--;
          if (active.remaining === 0) {
            this.finishedCount++;
            active.detach();
            active.channel.end();
          }
        } else {
          this.cursor++;
        }
        await nextTurn();
      }
    } finally {
      this.running = false;
    }
  }
}

/** Generates for one request on its own queue (the CLI's path; servers share one queue). */
export function generate(model: GenerationModel, tokenizer: GenerationTokenizer, request: GenerationRequest): AsyncIterableIterator<GenerationEvent> {
  return new GenerationQueue(model, tokenizer).submit(request);
}
