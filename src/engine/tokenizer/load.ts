import { setImmediate as nextTurn } from "node:timers/promises";
import type { GgufFile } from "../gguf/index.js";
import { BpeEncoder } from "./bpe.js";
import { byteToUnicode } from "./byte-unicode.js";
import { type Fragment, partitionSpecialSteps } from "./special.js";
import { encodeSpmSteps } from "./spm.js";
import { type DecodeOptions, type EncodeOptions, type SlicedEncodeOptions, type StreamingDecoder, type Tokenizer, TokenizerError } from "./types.js";
import { TokenType, type Vocab, readVocab } from "./vocab.js";

/** Builds the tokenizer the GGUF file describes (tokenizer.ggml.*), llama.cpp-compatible. */
export function loadTokenizer(file: GgufFile): Tokenizer {
  return createTokenizer(readVocab(file));
}

const utf8 = new TextDecoder("utf-8");

/** Longest stretch of tokenizing before encodeInSlices lets the event loop run. */
const DEFAULT_SLICE_MS = 5;

export function createTokenizer(vocab: Vocab): Tokenizer {
  const bpe = vocab.kind === "gpt2" ? new BpeEncoder(vocab) : null;
  const hidden = (id: number, special: boolean) =>
    !special && (vocab.types[id] === TokenType.CONTROL || vocab.types[id] === TokenType.UNKNOWN);
  const checkId = (id: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocab.tokens.length) {
      throw new TokenizerError(`token id ${id} is outside the vocabulary (0..${vocab.tokens.length - 1})`, { id });
    }
  };

  let longestTokenBytes: number | undefined;

  /** The one tokenization, as steps: encode drains them at once, encodeInSlices a few milliseconds at a time. */
  function* encodeSteps(text: string, options: EncodeOptions, output: number[]): Generator<void, void, void> {
    if (options.addBos && vocab.addBos && vocab.bos !== null) output.push(vocab.bos);
    const fragments: Fragment[] = [];
    yield* partitionSpecialSteps(vocab, text, options.parseSpecial ?? false, fragments);
    // SPM prefixes a space to the first raw fragment and to every fragment after a special token.
    let afterSpecial = true;
    for (const fragment of fragments) {
      if ("token" in fragment) {
        output.push(fragment.token);
        afterSpecial = true;
      } else if (bpe) {
        yield* bpe.encodeSteps(fragment.text, output);
      } else {
        yield* encodeSpmSteps(vocab, vocab.addSpacePrefix && afterSpecial ? ` ${fragment.text}` : fragment.text, output);
        afterSpecial = false;
      }
    }
  }

  return {
    kind: vocab.kind,
    vocabSize: vocab.tokens.length,
    bos: vocab.bos,
    eos: vocab.eos,
    stopTokens: vocab.stopTokens,
    addBosByDefault: vocab.addBos,

    // Computed on first use: a walk over every token (and every merge of a BPE vocabulary).
    get maxTokenBytes(): number {
      longestTokenBytes ??= maxTokenBytes(vocab);
      return longestTokenBytes;
    },

    encode(text: string, options: EncodeOptions = {}): number[] {
      const output: number[] = [];
      const steps = encodeSteps(text, options, output);
      while (!steps.next().done);
      return output;
    },

    async encodeInSlices(text: string, options: SlicedEncodeOptions = {}): Promise<number[]> {
      const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
      const stopAfter = options.stopAfter ?? Number.POSITIVE_INFINITY;
      const output: number[] = [];
      const steps = encodeSteps(text, options, output);
      let sliceStart = performance.now();
      while (!steps.next().done) {
        if (output.length > stopAfter) break;
        if (performance.now() - sliceStart < sliceMs) continue;
        await nextTurn();
        options.signal?.throwIfAborted();
        sliceStart = performance.now();
      }
      return output;
    },

    decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
      const special = options.special ?? false;
      const continuation = options.continuation ?? false;
      const parts: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < ids.length; i++) {
        checkId(ids[i]);
        if (hidden(ids[i], special)) continue;
        let piece = vocab.pieces[ids[i]];
        // llama.cpp strips one leading space from the first token when add_space_prefix is on.
        if (i === 0 && !continuation && vocab.addSpacePrefix && piece[0] === 0x20) piece = piece.subarray(1);
        parts.push(piece);
        total += piece.byteLength;
      }
      const bytes = new Uint8Array(total);
      let offset = 0;
      for (const part of parts) {
        bytes.set(part, offset);
        offset += part.byteLength;
      }
      const text = utf8.decode(bytes);
      return vocab.cleanSpaces && !continuation ? cleanUpSpaces(text) : text;
    },

    createDecoder(options: DecodeOptions = {}): StreamingDecoder {
      const special = options.special ?? false;
      const decoder = new TextDecoder("utf-8");
      return {
        push(id: number): string {
          checkId(id);
          if (hidden(id, special)) return "";
          return decoder.decode(vocab.pieces[id], { stream: true });
        },
        flush(): string {
          return decoder.decode();
        },
      };
    },

    tokenText(id: number): string {
      checkId(id);
      if (vocab.types[id] === TokenType.BYTE) return vocab.tokens[id];
      return utf8.decode(vocab.pieces[id]);
    },

    tokenBytes(id: number): Uint8Array {
      checkId(id);
      return vocab.pieces[id];
    },

    tokenId(text: string): number | undefined {
      return vocab.ids.get(text);
    },
  };
}

/**
 * llama.cpp's clean_up_tokenization_spaces (on for gpt-2-style BPE): drops the space before
 * ? ! . , and before 's 'm 're 've, and the spaces around a lone apostrophe.
 */
function cleanUpSpaces(text: string): string {
  return text
    .replace(/ ([?!.,])/g, "$1")
    .replace(/ ' /g, "'")
    .replace(/ '(s|m|re|ve)/g, "'$1");
}

/**
 * The most bytes of input text one token can stand for: the longest token text (its UTF-8 bytes,
 * or its piece's, whichever is more). Any text of B bytes is then at least ceil(B / this) tokens,
 * except in a byte-level BPE vocabulary where a symbol can be left that is not a token (a byte or a
 * merge result missing from it): llama.cpp drops such bytes, so there is no bound (Infinity).
 */
function maxTokenBytes(vocab: Vocab): number {
  if (vocab.kind === "gpt2") {
    // Every symbol BPE can produce must be a token: each byte's character, and each merge's result.
    for (let byte = 0; byte < 256; byte++) if (!vocab.ids.has(byteToUnicode(byte))) return Number.POSITIVE_INFINITY;
    for (const pair of vocab.mergeRanks.keys()) if (!vocab.ids.has(pair.replace(" ", ""))) return Number.POSITIVE_INFINITY;
  }
  let longest = 1;
  for (let id = 0; id < vocab.tokens.length; id++) longest = Math.max(longest, Buffer.byteLength(vocab.tokens[id]), vocab.pieces[id].byteLength);
  return longest;
}
