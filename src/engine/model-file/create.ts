import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PyAgentError, UsageError } from "../../core/index.js";
import {
  GgmlType,
  type GgufMetadataEntry,
  type GgufTensorSpec,
  GgufValueType,
  encodeTensor,
  writeGgufStreaming,
} from "../gguf/index.js";
import { Prng } from "./prng.js";
import { type ModelDtype, type Preset, type PresetName, checkDtype, getPreset } from "./presets.js";
import { type VocabSpec, buildGpt2Vocab, buildLlamaVocab } from "./vocab.js";

export interface CreateModelOptions {
  out: string;
  preset: PresetName;
  dtype: ModelDtype;
  seed: number;
  /** Replace an existing file at `out` (default: refuse). */
  force?: boolean;
  /** Context length written to the file instead of the preset's (e.g. a tiny model that takes long agent prompts). */
  contextLength?: number;
  /** Called after each tensor is written with the parameters written so far and the total. */
  onProgress?: (written: number, total: number) => void;
}

/** The model file cannot be written where asked (missing directory, existing file). Exit code 2, like a bad path. */
export class ModelFileError extends PyAgentError {
  override readonly name = "ModelFileError";
  override readonly exitCode = 2;
}

const DTYPE_TYPES: Record<ModelDtype, GgmlType> = {
  f32: GgmlType.F32,
  f16: GgmlType.F16,
  q8_0: GgmlType.Q8_0,
  q4_0: GgmlType.Q4_0,
};

/** llama.cpp's general.file_type values (LLAMA_FTYPE_ALL_F32, MOSTLY_F16, MOSTLY_Q4_0, MOSTLY_Q8_0). */
const FILE_TYPES: Record<ModelDtype, number> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7 };

interface WeightSpec extends GgufTensorSpec {
  /** How to fill it: normal(0, std) or all ones. */
  init: { kind: "normal"; std: number } | { kind: "ones" };
}

/**
 * Writes a complete GGUF model with random weights and a trained tokenizer. Same options, same
 * bytes: weights come from one PRNG seeded with `seed`, drawn tensor by tensor in file order.
 *
 * Scale: matrices are normal(0, 1/sqrt(fan_in)) so every projection keeps unit-scale activations
 * and the logits vary with the context (with 0.02 the layers barely move the residual stream and a
 * random model degenerates to a bigram table); biases normal(0, 0.02); norm weights 1.
 */
export function createModelFile(options: CreateModelOptions): void {
  const preset = withContextLength(getPreset(options.preset), options.contextLength);
  const dtype = checkDtype(options.dtype);
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw new UsageError(`seed must be an integer from 0 to 4294967295, got ${options.seed}`, { seed: options.seed });
  }
  const out = resolve(options.out);
  const directory = dirname(out);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new ModelFileError(`output directory ${directory} does not exist: create it first`, { out });
  }
  if (existsSync(out) && !options.force) {
    throw new ModelFileError(`${out} already exists: pass --force to replace it`, { out });
  }
  const vocab = preset.tokenizer === "llama" ? buildLlamaVocab(preset.vocabSize) : buildGpt2Vocab(preset.vocabSize);
  const weights = weightSpecs(preset, DTYPE_TYPES[dtype]);
  const random = new Prng(options.seed);
  const counts = weights.map((spec) => spec.dims.reduce((product, size) => product * size, 1));
  const total = counts.reduce((sum, count) => sum + count, 0);
  let written = 0;
  writeGgufStreaming(out, metadataFor(preset, dtype, vocab), weights, (index) => {
    const spec = weights[index];
    const values = new Float32Array(counts[index]);
    if (spec.init.kind === "ones") values.fill(1);
    else random.fillNormal(values, spec.init.std);
    const encoded = encodeTensor(spec.type, values);
    written += counts[index];
    options.onProgress?.(written, total);
    return encoded;
  });
}

/** Tensors in file order, GGUF dims [in, out] (dims[0] contiguous). */
function withContextLength(preset: Preset, contextLength: number | undefined): Preset {
  if (contextLength === undefined) return preset;
  if (!Number.isInteger(contextLength) || contextLength < 16 || contextLength > 1 << 20) {
    throw new UsageError(`context length must be an integer from 16 to 1048576, got ${contextLength}`, { contextLength });
  }
  return { ...preset, contextLength };
}

function weightSpecs(preset: Preset, matrixType: GgmlType): WeightSpec[] {
  const headDim = preset.dim / preset.nHeads;
  const qDim = preset.nHeads * headDim;
  const kvDim = preset.nKvHeads * headDim;
  const specs: WeightSpec[] = [];
  // Quantized blocks run along dims[0]; a row that is not whole blocks falls back to f16, as llama.cpp's quantizer does.
  const matrix = (name: string, inputs: number, outputs: number): WeightSpec => ({
    name,
    dims: [inputs, outputs],
    type: inputs % 32 === 0 || matrixType === GgmlType.F32 || matrixType === GgmlType.F16 ? matrixType : GgmlType.F16,
    init: { kind: "normal", std: 1 / Math.sqrt(inputs) },
  });
  const norm = (name: string, size: number): WeightSpec => ({ name, dims: [size], type: GgmlType.F32, init: { kind: "ones" } });
  const bias = (name: string, size: number): WeightSpec => ({
    name,
    dims: [size],
    type: GgmlType.F32,
    init: { kind: "normal", std: 0.02 },
  });
  specs.push(matrix("token_embd.weight", preset.dim, preset.vocabSize));
  for (let layer = 0; layer < preset.nLayers; layer++) {
    const block = `blk.${layer}`;
    specs.push(norm(`${block}.attn_norm.weight`, preset.dim));
    specs.push(matrix(`${block}.attn_q.weight`, preset.dim, qDim));
    specs.push(matrix(`${block}.attn_k.weight`, preset.dim, kvDim));
    specs.push(matrix(`${block}.attn_v.weight`, preset.dim, kvDim));
    if (preset.attentionBias) {
      specs.push(bias(`${block}.attn_q.bias`, qDim));
      specs.push(bias(`${block}.attn_k.bias`, kvDim));
      specs.push(bias(`${block}.attn_v.bias`, kvDim));
    }
    specs.push(matrix(`${block}.attn_output.weight`, qDim, preset.dim));
    specs.push(norm(`${block}.ffn_norm.weight`, preset.dim));
    specs.push(matrix(`${block}.ffn_gate.weight`, preset.dim, preset.hiddenDim));
    specs.push(matrix(`${block}.ffn_up.weight`, preset.dim, preset.hiddenDim));
    specs.push(matrix(`${block}.ffn_down.weight`, preset.hiddenDim, preset.dim));
  }
  specs.push(norm("output_norm.weight", preset.dim));
  if (!preset.tiedOutput) specs.push(matrix("output.weight", preset.dim, preset.vocabSize));
  return specs;
}

function metadataFor(preset: Preset, dtype: ModelDtype, vocab: VocabSpec): GgufMetadataEntry[] {
  const arch = preset.arch;
  const u32 = GgufValueType.UINT32;
  const f32 = GgufValueType.FLOAT32;
  const entries: GgufMetadataEntry[] = [
    ["general.architecture", arch],
    ["general.name", `pyagent-${preset.name}-${dtype}`],
    ["general.description", `PyAgent ${preset.name} preset with random weights: ${preset.description}`],
    ["general.file_type", FILE_TYPES[dtype], u32],
    ["general.alignment", 32, u32],
    [`${arch}.vocab_size`, preset.vocabSize, u32],
    [`${arch}.context_length`, preset.contextLength, u32],
    [`${arch}.embedding_length`, preset.dim, u32],
    [`${arch}.block_count`, preset.nLayers, u32],
    [`${arch}.feed_forward_length`, preset.hiddenDim, u32],
    [`${arch}.attention.head_count`, preset.nHeads, u32],
    [`${arch}.attention.head_count_kv`, preset.nKvHeads, u32],
    [`${arch}.rope.dimension_count`, preset.dim / preset.nHeads, u32],
    [`${arch}.rope.freq_base`, preset.ropeFreqBase, f32],
    [`${arch}.attention.layer_norm_rms_epsilon`, preset.rmsEps, f32],
    ["tokenizer.ggml.model", vocab.model],
  ];
  if (vocab.model === "gpt2") entries.push(["tokenizer.ggml.pre", preset.preTokenizer ?? "gpt-2"]);
  entries.push(["tokenizer.ggml.tokens", vocab.tokens, GgufValueType.STRING]);
  if (vocab.model === "llama") entries.push(["tokenizer.ggml.scores", vocab.scores, f32]);
  entries.push(["tokenizer.ggml.token_type", vocab.types, GgufValueType.INT32]);
  if (vocab.model === "gpt2") entries.push(["tokenizer.ggml.merges", vocab.merges, GgufValueType.STRING]);
  entries.push(["tokenizer.ggml.bos_token_id", vocab.bos, u32]);
  entries.push(["tokenizer.ggml.eos_token_id", vocab.eos, u32]);
  if (vocab.unk !== null) entries.push(["tokenizer.ggml.unknown_token_id", vocab.unk, u32]);
  if (vocab.eot !== null) entries.push(["tokenizer.ggml.eot_token_id", vocab.eot, u32]);
  entries.push(["tokenizer.ggml.add_bos_token", vocab.addBos]);
  entries.push(["tokenizer.ggml.add_eos_token", false]);
  if (vocab.model === "llama") entries.push(["tokenizer.ggml.add_space_prefix", true]);
  entries.push(["tokenizer.chat_template", preset.chatTemplate]);
  return entries;
}
