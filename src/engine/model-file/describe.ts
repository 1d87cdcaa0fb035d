import { type GgufFile, type GgufValue, ggmlTypeName, isSupportedType, readGgufHeader } from "../gguf/index.js";

export interface TensorTypeSummary {
  tensors: number;
  parameters: number;
  bytes: number;
}

/** What `pyagent model info` reports about a GGUF model file. */
export interface ModelDescription {
  path: string;
  fileSize: number;
  ggufVersion: number;
  name: string | null;
  architecture: string;
  contextLength: number;
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  ropeFreqBase: number | null;
  rmsEps: number | null;
  tiedOutput: boolean;
  attentionBias: boolean;
  parameterCount: number;
  /** Histogram by tensor type name (f32, f16, q8_0, q4_0, or others such as q4_K). */
  tensorTypes: Record<string, TensorTypeSummary>;
  /** Types of tensors the PyAgent engine cannot run (empty when it can run the file). */
  unsupportedTypes: string[];
  tokenizer: {
    kind: string;
    vocabSize: number;
    bos: number | null;
    eos: number | null;
    preTokenizer: string | null;
    chatTemplate: boolean;
  };
  memory: {
    /** Tensor bytes. */
    weightsBytes: number;
    /** K and V caches in f32 for the full context: 2 x layers x context x kv heads x head dim x 4. */
    kvCacheBytes: number;
    /** Working buffers for one sequence: activations, attention scores and logits, in f32. */
    scratchBytes: number;
    /** The whole file (the engine reads it into memory: weights plus header) + KV cache + scratch. */
    totalBytes: number;
  };
  toText(): string;
}

/** Describes a model file from its header only (cheap for any size). */
export function describeModelFile(path: string): ModelDescription {
  const file = readGgufHeader(path);
  return describeGguf(file);
}

export function describeGguf(file: GgufFile): ModelDescription {
  const meta = file.metadata;
  const arch = String(meta.get("general.architecture") ?? "unknown");
  const number = (key: string): number | null => {
    const value = meta.get(`${arch}.${key}`);
    // f32 metadata (1e-5 reads back as 0.0000099999997) is shown at f32 precision.
    if (typeof value === "number") return Number.isInteger(value) ? value : Number(value.toPrecision(7));
    return typeof value === "bigint" ? Number(value) : null;
  };
  const dim = number("embedding_length") ?? 0;
  const nHeads = number("attention.head_count") ?? 0;
  const nKvHeads = number("attention.head_count_kv") ?? nHeads;
  const headDim = nHeads > 0 ? dim / nHeads : 0;
  const nLayers = number("block_count") ?? 0;
  const contextLength = number("context_length") ?? 0;
  const hiddenDim = number("feed_forward_length") ?? 0;

  const tensorTypes: Record<string, TensorTypeSummary> = {};
  let parameterCount = 0;
  let weightsBytes = 0;
  const unsupported = new Set<string>();
  for (const info of file.tensors.values()) {
    if (!isSupportedType(info.type)) unsupported.add(ggmlTypeName(info.type));
    const parameters = info.dims.reduce((product, size) => product * size, 1);
    const key = ggmlTypeName(info.type);
    const summary = (tensorTypes[key] ??= { tensors: 0, parameters: 0, bytes: 0 });
    summary.tensors++;
    summary.parameters += parameters;
    summary.bytes += info.byteLength;
    parameterCount += parameters;
    weightsBytes += info.byteLength;
  }
  const tokens = meta.get("tokenizer.ggml.tokens");
  const vocabSize = Array.isArray(tokens) ? tokens.length : 0;
  const optionalId = (value: GgufValue | undefined) => (typeof value === "number" ? value : null);
  const kvCacheBytes = 2 * nLayers * contextLength * nKvHeads * headDim * 4;
  const scratchBytes = (vocabSize + 6 * dim + 3 * hiddenDim + nHeads * contextLength) * 4;
  const description: ModelDescription = {
    path: file.path,
    fileSize: file.fileSize,
    ggufVersion: file.version,
    name: typeof meta.get("general.name") === "string" ? (meta.get("general.name") as string) : null,
    architecture: arch,
    contextLength,
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    headDim,
    ropeFreqBase: number("rope.freq_base"),
    rmsEps: number("attention.layer_norm_rms_epsilon"),
    tiedOutput: !file.tensors.has("output.weight"),
    attentionBias: file.tensors.has("blk.0.attn_q.bias"),
    parameterCount,
    tensorTypes,
    unsupportedTypes: [...unsupported],
    tokenizer: {
      kind: String(meta.get("tokenizer.ggml.model") ?? "none"),
      vocabSize,
      bos: optionalId(meta.get("tokenizer.ggml.bos_token_id")),
      eos: optionalId(meta.get("tokenizer.ggml.eos_token_id")),
      preTokenizer: typeof meta.get("tokenizer.ggml.pre") === "string" ? (meta.get("tokenizer.ggml.pre") as string) : null,
      chatTemplate: typeof meta.get("tokenizer.chat_template") === "string",
    },
    memory: { weightsBytes, kvCacheBytes, scratchBytes, totalBytes: file.fileSize + kvCacheBytes + scratchBytes },
    toText: () => describeText(description),
  };
  return description;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function formatCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(2)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)}K`;
  return String(count);
}

function describeText(d: ModelDescription): string {
  const types = Object.entries(d.tensorTypes)
    .map(([type, s]) => `${type}: ${s.tensors} tensors, ${formatCount(s.parameters)} params, ${formatBytes(s.bytes)}`)
    .join("; ");
  const tokenizer = d.tokenizer;
  return [
    `model        ${d.path}${d.name ? ` (${d.name})` : ""}`,
    `file         ${formatBytes(d.fileSize)}, GGUF v${d.ggufVersion}`,
    `architecture ${d.architecture}: dim ${d.dim}, ${d.nLayers} layers, ${d.nHeads} heads (${d.nKvHeads} kv, head dim ${d.headDim}), ffn ${d.hiddenDim}`,
    `             context ${d.contextLength}, rope base ${d.ropeFreqBase ?? "?"}, rms eps ${d.rmsEps ?? "?"}, ${d.tiedOutput ? "tied" : "separate"} output${d.attentionBias ? ", q/k/v bias" : ""}`,
    `parameters   ${formatCount(d.parameterCount)} (${d.parameterCount})`,
    `tensor types ${types}`,
    ...(d.unsupportedTypes.length > 0
      ? [`             the PyAgent engine cannot run ${d.unsupportedTypes.join(", ")} tensors (it runs f32, f16, q8_0, q4_0)`]
      : []),
    `tokenizer    ${tokenizer.kind}${tokenizer.preTokenizer ? ` (${tokenizer.preTokenizer})` : ""}, ${tokenizer.vocabSize} tokens, bos ${tokenizer.bos ?? "none"}, eos ${tokenizer.eos ?? "none"}, chat template ${tokenizer.chatTemplate ? "yes" : "no (ChatML default)"}`,
    `memory       ${formatBytes(d.memory.totalBytes)} = file ${formatBytes(d.fileSize)} (weights ${formatBytes(d.memory.weightsBytes)}) + KV cache ${formatBytes(d.memory.kvCacheBytes)} (f32, ${d.contextLength} tokens) + scratch ${formatBytes(d.memory.scratchBytes)}`,
  ].join("\n");
}
