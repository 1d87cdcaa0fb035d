import { PyAgentError } from "../../core/index.js";

/** The model file's tokenizer metadata is missing or of a kind PyAgent does not implement. */
export class TokenizerError extends PyAgentError {
  override readonly name = "TokenizerError";
}

export interface EncodeOptions {
  /** Prepend BOS when the model asks for it (tokenizer.ggml.add_bos_token). Default false. */
  addBos?: boolean;
  /** Match control tokens such as "<|im_start|>" written in the text. Default false. */
  parseSpecial?: boolean;
}

export interface SlicedEncodeOptions extends EncodeOptions {
  /** Longest stretch of work before the event loop gets a turn; default 5 ms. */
  sliceMs?: number;
  /** Stop once more than this many ids are out (the caller only needs to know the text does not fit). */
  stopAfter?: number;
  /** Aborting stops the work at the next slice (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

export interface DecodeOptions {
  /** Render control tokens as their text instead of dropping them. Default false. */
  special?: boolean;
  /**
   * The ids continue earlier text (generated tokens after a prompt): keep the first token's leading
   * space and skip the gpt-2 space clean-up, i.e. give exactly what the streaming decoder gives.
   * Default false (llama.cpp's llama_detokenize, the inverse of encode).
   */
  continuation?: boolean;
}

export interface StreamingDecoder {
  /** Text completed by this token; partial UTF-8 sequences are held back until complete. */
  push(id: number): string;
  /** Whatever is held back (invalid sequences become U+FFFD). */
  flush(): string;
}

export interface Tokenizer {
  readonly kind: "llama" | "gpt2";
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  /** Token ids that end generation (eos, eot, ...). */
  readonly stopTokens: ReadonlySet<number>;
  /** Whether the model wants BOS in front of a prompt (tokenizer.ggml.add_bos_token). */
  readonly addBosByDefault: boolean;
  /**
   * The most bytes of input text one token can stand for: a text of B bytes is at least
   * ceil(B / maxTokenBytes) tokens (Infinity when the vocabulary promises no bound).
   */
  readonly maxTokenBytes: number;
  /** Same ids as llama.cpp's llama_tokenize(text, add_special = addBos, parse_special). */
  encode(text: string, options?: EncodeOptions): number[];
  /**
   * encode without holding the event loop: works in slices of `sliceMs`, giving other work a turn
   * between them (a megabyte prompt must not stall other requests' streams). Same ids as encode,
   * or a prefix of them longer than `stopAfter`.
   */
  encodeInSlices(text: string, options?: SlicedEncodeOptions): Promise<number[]>;
  /** As llama.cpp's llama_detokenize(remove_special = false, unparse_special = options.special); see DecodeOptions.continuation. */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  /** Streaming decode as generation does it: piece by piece, no leading-space removal or clean-up. */
  createDecoder(options?: DecodeOptions): StreamingDecoder;
  /** The token's text as the model shows it (pieces with spaces restored; byte tokens as "<0xNN>"). */
  tokenText(id: number): string;
  /** The bytes this token adds to the output (control tokens: their text). */
  tokenBytes(id: number): Uint8Array;
  /** Id of a token by its exact vocabulary text, if any. */
  tokenId(text: string): number | undefined;
}
