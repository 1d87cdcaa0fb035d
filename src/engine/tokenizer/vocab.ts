import type { GgufFile } from "../gguf/index.js";
import { unicodeToByte } from "./byte-unicode.js";
import { TokenizerError } from "./types.js";

/** llama.cpp token types (tokenizer.ggml.token_type). */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface Vocab {
  kind: "llama" | "gpt2";
  tokens: string[];
  /** f32 scores (SPM merges by them); zeros when the file has none. */
  scores: Float32Array;
  types: Uint8Array;
  /** Text -> id; on duplicate texts the last id wins, as in llama.cpp. */
  ids: Map<string, number>;
  /** gpt2: "left right" -> merge rank; the first occurrence wins. */
  mergeRanks: Map<string, number>;
  /** Control, user-defined and unknown tokens, longest text first: the ones matched inside text. */
  specials: number[];
  bos: number | null;
  eos: number | null;
  unk: number | null;
  stopTokens: Set<number>;
  addBos: boolean;
  addSpacePrefix: boolean;
  /** llama.cpp's clean_up_tokenization_spaces for detokenize (gpt2 except the qwen2 pre-tokenizer). */
  cleanSpaces: boolean;
  /** gpt2 only: the pre-tokenizer (tokenizer.ggml.pre; "default" when the file names none). */
  preTokenizer: "default" | "gpt-2" | "qwen2" | "llama3";
  /** gpt2 only: a pre-tokenized word that is itself a token skips merging (llama3). */
  ignoreMerges: boolean;
  /** Bytes each token contributes to decoded text (control/unknown: their text). */
  pieces: Uint8Array[];
}

/** tokenizer.ggml.pre names llama.cpp maps to the pre-tokenizers implemented here. */
const PRE_TOKENIZER_NAMES: Record<string, Vocab["preTokenizer"]> = {
  "gpt-2": "gpt-2",
  "phi-2": "gpt-2",
  qwen2: "qwen2",
  "deepseek-r1-qwen": "qwen2",
  llama3: "llama3",
  "llama-v3": "llama3",
  "llama-bpe": "llama3",
};

/** Texts llama.cpp treats as end-of-generation when the file marks them as control tokens. */
const END_OF_GENERATION_TEXTS = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>"];

export function readVocab(file: GgufFile): Vocab {
  const meta = file.metadata;
  const model = meta.get("tokenizer.ggml.model");
  if (model !== "llama" && model !== "gpt2") {
    throw new TokenizerError(
      `tokenizer.ggml.model is ${JSON.stringify(model)}: PyAgent supports "llama" (SentencePiece) and "gpt2" (byte-level BPE)`,
      { path: file.path },
    );
  }
  const tokens = meta.get("tokenizer.ggml.tokens");
  if (!Array.isArray(tokens) || tokens.length === 0 || tokens.some((token) => typeof token !== "string")) {
    throw new TokenizerError(`${file.path} has no tokenizer.ggml.tokens string array`, { path: file.path });
  }
  const texts = tokens as string[];
  const count = texts.length;
  const scores = new Float32Array(count);
  const rawScores = meta.get("tokenizer.ggml.scores");
  if (Array.isArray(rawScores)) for (let i = 0; i < Math.min(count, rawScores.length); i++) scores[i] = Number(rawScores[i]);
  const types = new Uint8Array(count).fill(TokenType.NORMAL);
  const rawTypes = meta.get("tokenizer.ggml.token_type");
  if (Array.isArray(rawTypes)) for (let i = 0; i < Math.min(count, rawTypes.length); i++) types[i] = Number(rawTypes[i]);

  const ids = new Map<string, number>();
  texts.forEach((text, id) => ids.set(text, id));
  const mergeRanks = new Map<string, number>();
  if (model === "gpt2") {
    const merges = meta.get("tokenizer.ggml.merges");
    if (!Array.isArray(merges)) throw new TokenizerError(`${file.path} is a gpt2 tokenizer without tokenizer.ggml.merges`);
    merges.forEach((merge, rank) => {
      const text = String(merge);
      const space = text.indexOf(" ", 1);
      const key = space < 0 ? " " : `${text.slice(0, space)} ${text.slice(space + 1)}`;
      if (!mergeRanks.has(key)) mergeRanks.set(key, rank);
    });
  }

  const optionalId = (key: string, fallback: number | null): number | null => {
    const value = meta.get(key);
    if (value === undefined) return fallback;
    const id = Number(value);
    return Number.isInteger(id) && id >= 0 && id < count ? id : null;
  };
  const spm = model === "llama";
  const bos = optionalId("tokenizer.ggml.bos_token_id", spm ? 1 : null);
  const eos = optionalId("tokenizer.ggml.eos_token_id", spm ? 2 : null);
  const unk = optionalId("tokenizer.ggml.unknown_token_id", spm ? 0 : null);
  const stopTokens = new Set<number>();
  for (const key of ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"]) {
    const id = optionalId(key, null);
    if (id !== null) stopTokens.add(id);
  }
  if (eos !== null) stopTokens.add(eos);
  for (const text of END_OF_GENERATION_TEXTS) {
    const id = ids.get(text);
    if (id !== undefined && types[id] === TokenType.CONTROL) stopTokens.add(id);
  }

  const flag = (key: string, fallback: boolean): boolean => {
    const value = meta.get(key);
    return typeof value === "boolean" ? value : fallback;
  };
  const pre = meta.get("tokenizer.ggml.pre");
  let preTokenizer: Vocab["preTokenizer"] = "default";
  if (!spm && pre !== undefined && pre !== "default") {
    const known = PRE_TOKENIZER_NAMES[String(pre)];
    if (!known) {
      throw new TokenizerError(
        `pre-tokenizer "${String(pre)}" is not supported: PyAgent implements ${Object.keys(PRE_TOKENIZER_NAMES).join(", ")}`,
        { path: file.path },
      );
    }
    preTokenizer = known;
  }

  const specials: number[] = [];
  for (let id = 0; id < count; id++) {
    const type = types[id];
    if ((type === TokenType.CONTROL || type === TokenType.USER_DEFINED || type === TokenType.UNKNOWN) && texts[id] !== "") {
      specials.push(id);
    }
  }
  const encoder = new TextEncoder();
  const byteLength = texts.map((text) => encoder.encode(text).byteLength);
  specials.sort((a, b) => byteLength[b] - byteLength[a] || a - b);

  const pieces = texts.map((text, id) => pieceBytes(text, types[id], spm, encoder));
  return {
    kind: model,
    tokens: texts,
    scores,
    types,
    ids,
    mergeRanks,
    specials,
    bos,
    eos,
    unk,
    stopTokens,
    addBos: flag("tokenizer.ggml.add_bos_token", spm || preTokenizer === "llama3"),
    addSpacePrefix: flag("tokenizer.ggml.add_space_prefix", spm),
    cleanSpaces: !spm && preTokenizer !== "qwen2",
    preTokenizer,
    ignoreMerges: !spm && preTokenizer === "llama3",
    pieces,
  };
}

/** What llama.cpp's token_to_piece(special = true) writes for a token. */
function pieceBytes(text: string, type: number, spm: boolean, encoder: { encode(text: string): Uint8Array }): Uint8Array {
  if (type === TokenType.CONTROL || type === TokenType.UNKNOWN || type === TokenType.USER_DEFINED) return encoder.encode(text);
  if (type === TokenType.BYTE) {
    const match = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
    return match ? Uint8Array.of(Number.parseInt(match[1], 16)) : new Uint8Array(0);
  }
  if (type !== TokenType.NORMAL) return new Uint8Array(0); // unused tokens render as nothing
  if (spm) return encoder.encode(text.replaceAll("\u2581", " "));
  const bytes: number[] = [];
  for (const char of text) {
    const byte = unicodeToByte(char);
    if (byte !== undefined) bytes.push(byte);
    else for (const raw of encoder.encode(char)) bytes.push(raw);
  }
  return Uint8Array.from(bytes);
}
