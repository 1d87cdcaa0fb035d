import type { GgufFile } from "../gguf/index.js";
import { BpeEncoder } from "./bpe.js";
import { partitionSpecial } from "./special.js";
import { encodeSpm } from "./spm.js";
import { type DecodeOptions, type EncodeOptions, type StreamingDecoder, type Tokenizer, TokenizerError } from "./types.js";
import { TokenType, type Vocab, readVocab } from "./vocab.js";

/** Builds the tokenizer the GGUF file describes (tokenizer.ggml.*), llama.cpp-compatible. */
export function loadTokenizer(file: GgufFile): Tokenizer {
  return createTokenizer(readVocab(file));
}

const utf8 = new TextDecoder("utf-8");

export function createTokenizer(vocab: Vocab): Tokenizer {
  const bpe = vocab.kind === "gpt2" ? new BpeEncoder(vocab) : null;
  const hidden = (id: number, special: boolean) =>
    !special && (vocab.types[id] === TokenType.CONTROL || vocab.types[id] === TokenType.UNKNOWN);
  const checkId = (id: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocab.tokens.length) {
      throw new TokenizerError(`token id ${id} is outside the vocabulary (0..${vocab.tokens.length - 1})`, { id });
    }
  };

  return {
    kind: vocab.kind,
    vocabSize: vocab.tokens.length,
    bos: vocab.bos,
    eos: vocab.eos,
    stopTokens: vocab.stopTokens,
    addBosByDefault: vocab.addBos,

    encode(text: string, options: EncodeOptions = {}): number[] {
      const output: number[] = [];
      if (options.addBos && vocab.addBos && vocab.bos !== null) output.push(vocab.bos);
      // SPM prefixes a space to the first raw fragment and to every fragment after a special token.
      let afterSpecial = true;
      for (const fragment of partitionSpecial(vocab, text, options.parseSpecial ?? false)) {
        if ("token" in fragment) {
          output.push(fragment.token);
          afterSpecial = true;
        } else if (bpe) {
          bpe.encode(fragment.text, output);
        } else {
          encodeSpm(vocab, vocab.addSpacePrefix && afterSpecial ? ` ${fragment.text}` : fragment.text, output);
          afterSpecial = false;
        }
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
