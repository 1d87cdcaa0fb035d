import type { GgufFile, GgufValue } from "../gguf/index.js";
import { ModelFormatError } from "./errors.js";

/** The shape of a llama-family model, read from GGUF metadata. */
export interface ModelConfig {
  arch: "llama" | "qwen2";
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  vocabSize: number;
  /** The model's trained context; a loaded model may use less (see LoadedModel.config). */
  contextLength: number;
  ropeFreqBase: number;
  rmsEps: number;
  /** No output.weight: logits use token_embd.weight. */
  tiedOutput: boolean;
  /** Qwen2-style biases on the q, k and v projections. */
  attentionBias: boolean;
}

const ARCHITECTURES = ["llama", "qwen2"] as const;

function numberValue(value: GgufValue | undefined): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  return undefined;
}

export function readModelConfig(file: GgufFile): ModelConfig {
  const arch = file.metadata.get("general.architecture");
  if (typeof arch !== "string" || !(ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new ModelFormatError(`${file.path}: architecture ${JSON.stringify(arch)} is not supported; supported: ${ARCHITECTURES.join(", ")}`, {
      path: file.path,
      arch,
    });
  }
  const required = (key: string): number => {
    const value = numberValue(file.metadata.get(`${arch}.${key}`));
    if (value === undefined) throw new ModelFormatError(`${file.path}: metadata key ${arch}.${key} is missing`, { path: file.path, key });
    return value;
  };
  const optional = (key: string, fallback: number): number => numberValue(file.metadata.get(`${arch}.${key}`)) ?? fallback;

  const embedding = file.tensors.get("token_embd.weight");
  if (embedding === undefined) throw new ModelFormatError(`${file.path}: tensor token_embd.weight is missing`, { path: file.path });
  const dim = required("embedding_length");
  const nHeads = required("attention.head_count");
  const headDim = optional("attention.key_length", dim / nHeads);
  const ropeDims = optional("rope.dimension_count", headDim);
  if (ropeDims !== headDim) {
    throw new ModelFormatError(`${file.path}: partial RoPE (rope.dimension_count ${ropeDims} < head size ${headDim}) is not supported`, {
      path: file.path,
    });
  }
  return {
    arch: arch as ModelConfig["arch"],
    dim,
    hiddenDim: required("feed_forward_length"),
    nLayers: required("block_count"),
    nHeads,
    nKvHeads: optional("attention.head_count_kv", nHeads),
    headDim,
    vocabSize: embedding.dims[1],
    contextLength: required("context_length"),
    ropeFreqBase: optional("rope.freq_base", 10000),
    rmsEps: optional("attention.layer_norm_rms_epsilon", 1e-5),
    tiedOutput: !file.tensors.has("output.weight"),
    attentionBias: file.tensors.has("blk.0.attn_q.bias"),
  };
}

/** Bytes of KV cache one token position takes: keys and values, f32, every layer. */
export function kvBytesPerToken(config: Pick<ModelConfig, "nLayers" | "nKvHeads" | "headDim">): number {
  return 2 * config.nLayers * config.nKvHeads * config.headDim * 4;
}
