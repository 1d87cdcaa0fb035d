import { UsageError } from "../../core/index.js";
import { CHATML_TEMPLATE, LLAMA2_TEMPLATE } from "./templates.js";

export type PresetName = "tiny" | "tiny-bpe" | "tiny-qwen2" | "stories15m" | "stories110m";
export type ModelDtype = "f32" | "f16" | "q8_0" | "q4_0";

export const PRESET_NAMES: readonly PresetName[] = ["tiny", "tiny-bpe", "tiny-qwen2", "stories15m", "stories110m"];
export const MODEL_DTYPES: readonly ModelDtype[] = ["f32", "f16", "q8_0", "q4_0"];

export interface Preset {
  name: PresetName;
  description: string;
  arch: "llama" | "qwen2";
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  contextLength: number;
  tokenizer: "llama" | "gpt2";
  /** gpt2 pre-tokenizer name (tokenizer.ggml.pre). */
  preTokenizer?: "gpt-2" | "qwen2";
  /** No output.weight: the output projection reuses token_embd.weight. */
  tiedOutput: boolean;
  /** Qwen2-style biases on the q, k and v projections. */
  attentionBias: boolean;
  ropeFreqBase: number;
  rmsEps: number;
  chatTemplate: string;
}

const tinyShape = { dim: 64, hiddenDim: 192, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 1000, contextLength: 256 };

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  tiny: {
    name: "tiny",
    description: "test model, ~0.2M parameters, grouped-query attention, SentencePiece-style tokenizer",
    arch: "llama",
    ...tinyShape,
    tokenizer: "llama",
    tiedOutput: false,
    attentionBias: false,
    ropeFreqBase: 10000,
    rmsEps: 1e-5,
    chatTemplate: LLAMA2_TEMPLATE,
  },
  "tiny-bpe": {
    name: "tiny-bpe",
    description: "test model like tiny, with a byte-level BPE (gpt2) tokenizer and ChatML",
    arch: "llama",
    ...tinyShape,
    tokenizer: "gpt2",
    preTokenizer: "gpt-2",
    tiedOutput: false,
    attentionBias: false,
    ropeFreqBase: 10000,
    rmsEps: 1e-5,
    chatTemplate: CHATML_TEMPLATE,
  },
  "tiny-qwen2": {
    name: "tiny-qwen2",
    description: "test model of the qwen2 architecture: q/k/v biases, tied output, NEOX RoPE, BPE tokenizer",
    arch: "qwen2",
    ...tinyShape,
    tokenizer: "gpt2",
    preTokenizer: "qwen2",
    tiedOutput: true,
    attentionBias: true,
    ropeFreqBase: 1000000,
    rmsEps: 1e-6,
    chatTemplate: CHATML_TEMPLATE,
  },
  stories15m: {
    name: "stories15m",
    description: "the llama2.c stories15M shape: dim 288, 6 layers, 6 heads, vocab 32000",
    arch: "llama",
    dim: 288,
    hiddenDim: 768,
    nLayers: 6,
    nHeads: 6,
    nKvHeads: 6,
    vocabSize: 32000,
    contextLength: 256,
    tokenizer: "llama",
    tiedOutput: true,
    attentionBias: false,
    ropeFreqBase: 10000,
    rmsEps: 1e-5,
    chatTemplate: LLAMA2_TEMPLATE,
  },
  stories110m: {
    name: "stories110m",
    description: "the llama2.c stories110M shape: dim 768, 12 layers, 12 heads, vocab 32000",
    arch: "llama",
    dim: 768,
    hiddenDim: 2048,
    nLayers: 12,
    nHeads: 12,
    nKvHeads: 12,
    vocabSize: 32000,
    contextLength: 1024,
    tokenizer: "llama",
    tiedOutput: true,
    attentionBias: false,
    ropeFreqBase: 10000,
    rmsEps: 1e-5,
    chatTemplate: LLAMA2_TEMPLATE,
  },
};

export function getPreset(name: string): Preset {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`unknown preset "${name}": choose one of ${PRESET_NAMES.join(", ")}`, { preset: name });
  }
  return PRESETS[name as PresetName];
}

export function checkDtype(dtype: string): ModelDtype {
  if (!(MODEL_DTYPES as readonly string[]).includes(dtype)) {
    throw new UsageError(`unknown dtype "${dtype}": choose one of ${MODEL_DTYPES.join(", ")}`, { dtype });
  }
  return dtype as ModelDtype;
}
