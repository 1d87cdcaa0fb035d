import { Sampler, type SamplingOptions } from "../sampling/index.js";
import { StopStringMatcher } from "./stop-strings.js";
import type { FinishReason, GenerationEvent, GenerationModel, GenerationSequence, GenerationTokenizer, TokenLogprobs } from "./types.js";

/**
 * Most prompt tokens one step runs. A long prompt is prefilled over several steps, so other
 * requests keep making progress and an abort is seen between chunks. (The runtime batches 64.)
 */
export const PREFILL_CHUNK = 64;

export interface ChoiceOptions {
  index: number;
  promptTokens: readonly number[];
  /** Already capped so that prompt + maxTokens fits the context. */
  maxTokens: number;
  sampling: SamplingOptions;
  stop: readonly string[];
  logprobs: number | undefined;
}

/**
 * One choice of one request, as a state machine the queue advances one model step at a time:
 *
 *   waiting ──step──► prefilling (PREFILL_CHUNK prompt tokens per step) ──► decoding (one token
 *   per step) ──► done
 *
 * Invariants: the sequence exists only between the first step and `finish`/`free`, so queued
 * choices hold no KV memory; `stepInput[0]` is sampled but not yet in the KV cache; a step
 * samples a token only when it ran the last prompt chunk or a decode token.
 */
export class ChoiceTask {
  readonly index: number;
  private readonly model: GenerationModel;
  private readonly tokenizer: GenerationTokenizer;
  private readonly options: ChoiceOptions;
  private readonly sampler: Sampler;
  private readonly decoder: { push(id: number): string; flush(): string };
  private readonly stops: StopStringMatcher;
  private sequence: GenerationSequence | null = null;
  /** One-token input buffer reused by every decode step. */
  private readonly stepInput = new Int32Array(1);
  /** The prompt as ids, and how many of them are in the KV cache. */
  private readonly prompt: Int32Array;
  private prefilled = 0;
  private completionTokens = 0;
  private finished = false;
  /** Scratch for top logprobs. */
  private readonly topIds: Int32Array;
  private readonly topValues: Float64Array;

  constructor(model: GenerationModel, tokenizer: GenerationTokenizer, options: ChoiceOptions) {
    this.index = options.index;
    this.model = model;
    this.tokenizer = tokenizer;
    this.options = options;
    const seed = options.sampling.seed === undefined ? undefined : options.sampling.seed + options.index;
    this.sampler = new Sampler(model.config.vocabSize, { ...options.sampling, seed });
    this.sampler.acceptPrompt(options.promptTokens);
    this.decoder = tokenizer.createDecoder();
    this.stops = new StopStringMatcher(options.stop);
    this.topIds = new Int32Array(options.logprobs ?? 0);
    this.topValues = new Float64Array(options.logprobs ?? 0);
    this.prompt = Int32Array.from(options.promptTokens);
  }

  get done(): boolean {
    return this.finished;
  }

  /** True while the choice holds a sequence (KV memory). */
  get live(): boolean {
    return this.sequence !== null;
  }

  /** Runs one model step (a prompt chunk, or one token) and emits what it produced. */
  step(emit: (event: GenerationEvent) => void): void {
    if (this.finished) return;
    const promptLength = this.prompt.length;
    if (this.sequence === null) this.sequence = this.model.newSequence({ maxTokens: promptLength + this.options.maxTokens });
    let logits: Float32Array;
    if (this.prefilled < promptLength) {
      const end = Math.min(promptLength, this.prefilled + PREFILL_CHUNK);
      logits = this.sequence.forward(this.prompt.subarray(this.prefilled, end));
      this.prefilled = end;
      if (end < promptLength) return;
    } else {
      logits = this.sequence.forward(this.stepInput);
    }
    const token = this.sampler.sample(logits);
    this.completionTokens++;
    if (this.tokenizer.stopTokens.has(token)) {
      this.finish("stop", emit);
      return;
    }
    this.sampler.accept(token);
    this.stepInput[0] = token;
    const text = this.stops.push(this.decoder.push(token));
    const logprobs = this.options.logprobs === undefined ? undefined : this.logprobsOf(token);
    emit({ type: "text-delta", index: this.index, text, token, logprobs });
    if (this.stops.stopped) this.finish("stop", emit);
    else if (this.completionTokens >= this.options.maxTokens) this.finish("length", emit);
    else if (this.sequence.length >= this.model.config.contextLength) this.finish("length", emit);
  }

  /** Frees the sequence at once; the choice emits nothing more. */
  free(): void {
    this.finished = true;
    this.sequence?.free();
    this.sequence = null;
  }

  private finish(reason: FinishReason, emit: (event: GenerationEvent) => void): void {
    // Text held back for a stop string that never completed, or partial UTF-8 at the end, is output.
    const rest = reason === "stop" && this.stops.stopped ? "" : this.stops.push(this.decoder.flush()) + this.stops.flush();
    if (rest.length > 0) emit({ type: "text-delta", index: this.index, text: rest, token: -1 });
    this.free();
    emit({
      type: "end",
      index: this.index,
      finishReason: reason,
      usage: { promptTokens: this.options.promptTokens.length, completionTokens: this.completionTokens },
    });
  }

  private logprobsOf(token: number): TokenLogprobs {
    const count = this.sampler.topLogprobs(this.topIds.length, this.topIds, this.topValues);
    const top = [];
    for (let i = 0; i < count; i++) {
      const id = this.topIds[i];
      top.push({ token: id, text: this.tokenizer.tokenText(id), bytes: this.tokenizer.tokenBytes?.(id), logprob: this.topValues[i] });
    }
    return { token, text: this.tokenizer.tokenText(token), bytes: this.tokenizer.tokenBytes?.(token), logprob: this.sampler.logprobOf(token), top };
  }
}
