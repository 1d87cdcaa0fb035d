import type { BatchSegment, KvStorage } from "../runtime/index.js";
import type { SamplingOptions } from "../sampling/index.js";

/**
 * What generation needs from a loaded model: its shape, and one model step over several
 * sequences at once. The runtime's `LoadedModel` satisfies this structurally.
 */
export interface GenerationModel {
  readonly config: {
    readonly vocabSize: number;
    readonly contextLength: number;
    readonly nLayers: number;
    readonly nKvHeads: number;
    readonly headDim: number;
  };
  /** Runs every segment's tokens (back to back in `tokens`) through the model; see the runtime's forwardSegments. */
  forwardSegments(kv: KvStorage, tokens: ArrayLike<number>, segments: readonly BatchSegment[], logits: Float32Array): void;
  /** Index of the largest logit (KernelSet.argmax): greedy picks use it when given. */
  argmax?(values: Float32Array): number;
}

export interface GenerationTokenizer {
  readonly bos: number | null;
  /** Whether the model wants BOS in front of a prompt (GGUF tokenizer.ggml.add_bos_token); absent: when it has one. */
  readonly addBosByDefault?: boolean;
  readonly stopTokens: ReadonlySet<number>;
  encode(text: string, options?: { addBos?: boolean; parseSpecial?: boolean }): number[];
  /** A text of B bytes is at least ceil(B / maxTokenBytes) tokens; absent: no such bound. */
  readonly maxTokenBytes?: number;
  /** encode in slices that give the event loop a turn between them (see the tokenizer's); absent: encode is used. */
  encodeInSlices?(
    text: string,
    options?: { parseSpecial?: boolean; stopAfter?: number; signal?: AbortSignal },
  ): Promise<number[]>;
  createDecoder(): { push(id: number): string; flush(): string };
  tokenText(id: number): string;
  /** The bytes the token adds to the output (for logprobs); optional. */
  tokenBytes?(id: number): Uint8Array;
}

export interface GenerationRequest {
  /** Text (tokenized here) or token ids (used as they are). */
  prompt: string | readonly number[];
  /** Prepend BOS to a text prompt; default: when the model asks for it (see GenerationTokenizer). */
  addBos?: boolean;
  /** Read special-token text (`<|im_start|>`) in a text prompt as the special token; default false. */
  parseSpecial?: boolean;
  /** Most tokens to generate per choice; default: until the context is full. */
  maxTokens?: number;
  sampling?: SamplingOptions;
  /** Generation stops before any of these strings; the string itself is never emitted. */
  stop?: readonly string[];
  /** Report each token's logprob and this many top alternatives (0: the chosen token only). */
  logprobs?: number;
  /** Independent choices; choice i samples with seed + i. Default 1. */
  n?: number;
  /** Requests with different salts never share prefix-cache blocks (tenant isolation). */
  cacheSalt?: string;
  /** Lower is admitted first among waiting requests; default 0. */
  priority?: number;
  /** Aborting ends the generation at once and frees its sequences. */
  signal?: AbortSignal;
}

export interface TokenLogprob {
  token: number;
  /** The token's text as the tokenizer shows it (byte tokens as "<0xNN>"). */
  text: string;
  /** The bytes the token adds to the output, when the tokenizer reports them. */
  bytes?: Uint8Array;
  logprob: number;
}

export interface TokenLogprobs extends TokenLogprob {
  /** The most likely tokens at this position, most likely first. */
  top: TokenLogprob[];
}

export interface Usage {
  promptTokens: number;
  /** Tokens sampled for the choice, a final stop token included (it was computed, so it is billed). */
  completionTokens: number;
}

export type FinishReason = "stop" | "length";

/**
 * Events of one request, for every choice (`index`); each choice ends with exactly one `end`.
 * Every sampled token that is not a stop token gets one `text-delta` (its `text` may be empty
 * while text is held back for a possible stop string); text released only at the end (held-back
 * text, a trailing partial UTF-8 sequence) comes in a last delta with `token: -1`.
 */
export type GenerationEvent =
  | { type: "text-delta"; index: number; text: string; token: number; logprobs?: TokenLogprobs }
  | { type: "end"; index: number; finishReason: FinishReason; usage: Usage };
