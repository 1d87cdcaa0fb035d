import { Sampler, type SamplingOptions } from "../sampling/index.js";
import { StopStringMatcher } from "./stop-strings.js";
import type { FinishReason, GenerationEvent, GenerationTokenizer, TokenLogprobs } from "./types.js";

export interface ChoiceOptions {
  index: number;
  promptTokens: readonly number[];
  /** Already capped so that prompt + maxTokens fits the context. */
  maxTokens: number;
  sampling: SamplingOptions;
  stop: readonly string[];
  logprobs: number | undefined;
  /** The model's argmax for greedy picks; absent: the sampler's own. */
  argmax?: (values: Float32Array) => number;
}

/**
 * What one choice of one request makes of its logits: it samples a token, turns it into text
 * (holding back text that may become a stop string), and decides when the choice ends. The
 * scheduler owns the choice's tokens and KV blocks; this owns its sampler, decoder and stops.
 */
export class ChoiceTask {
  readonly index: number;
  private readonly tokenizer: GenerationTokenizer;
  private readonly options: ChoiceOptions;
  private readonly sampler: Sampler;
  private readonly decoder: { push(id: number): string; flush(): string };
  private readonly stops: StopStringMatcher;
  private completionTokens = 0;
  private finished = false;
  /** Scratch for top logprobs. */
  private readonly topIds: Int32Array;
  private readonly topValues: Float64Array;

  constructor(vocabSize: number, tokenizer: GenerationTokenizer, options: ChoiceOptions) {
    this.index = options.index;
    this.tokenizer = tokenizer;
    this.options = options;
    const seed = options.sampling.seed === undefined ? undefined : options.sampling.seed + options.index;
    this.sampler = new Sampler(vocabSize, { ...options.sampling, seed }, options.argmax);
    this.sampler.acceptPrompt(options.promptTokens);
    this.decoder = tokenizer.createDecoder();
    this.stops = new StopStringMatcher(options.stop);
    this.topIds = new Int32Array(options.logprobs ?? 0);
    this.topValues = new Float64Array(options.logprobs ?? 0);
  }

  get done(): boolean {
    return this.finished;
  }

  /**
   * Samples the next token from `logits` (vocabSize) and emits what it adds. Returns the token
   * when the choice goes on (it goes through the model next step), or null when the choice
   * ended (its `end` event emitted).
   */
  accept(logits: Float32Array, emit: (event: GenerationEvent) => void): number | null {
    const token = this.sampler.sample(logits);
    this.completionTokens++;
    if (this.tokenizer.stopTokens.has(token)) {
      this.finish("stop", emit);
      return null;
    }
    this.sampler.accept(token);
    const text = this.stops.push(this.decoder.push(token));
    const logprobs = this.options.logprobs === undefined ? undefined : this.logprobsOf(token);
    emit({ type: "text-delta", index: this.index, text, token, logprobs });
    if (this.stops.stopped) this.finish("stop", emit);
    else if (this.completionTokens >= this.options.maxTokens) this.finish("length", emit);
    return this.finished ? null : token;
  }

  /** Ends the choice without emitting anything (abort). */
  cancel(): void {
    this.finished = true;
  }

  private finish(reason: FinishReason, emit: (event: GenerationEvent) => void): void {
    // Text held back for a stop string that never completed, or partial UTF-8 at the end, is output.
    const rest = reason === "stop" && this.stops.stopped ? "" : this.stops.push(this.decoder.flush()) + this.stops.flush();
    if (rest.length > 0) emit({ type: "text-delta", index: this.index, text: rest, token: -1 });
    this.finished = true;
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
