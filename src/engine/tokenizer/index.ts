export { loadTokenizer, createTokenizer } from "./load.js";
export {
  TokenizerError,
  type Tokenizer,
  type EncodeOptions,
  type SlicedEncodeOptions,
  type DecodeOptions,
  type StreamingDecoder,
} from "./types.js";
export { TokenType, readVocab, type Vocab } from "./vocab.js";
export { byteToUnicode, unicodeToByte, bytesToUnicodeString } from "./byte-unicode.js";
