import type { GgmlType, GgufFile } from "../gguf/index.js";
import type { ModelConfig } from "./config.js";
import { ModelFormatError } from "./errors.js";

/** A weight matrix as stored in the file: (rows, cols) row-major in `type`, a view of the file's bytes. */
export interface Matrix {
  data: Uint8Array;
  type: GgmlType;
  rows: number;
  cols: number;
}

export interface LayerWeights {
  attentionNorm: Float32Array; // (dim)
  wq: Matrix; // (nHeads * headDim, dim)
  wk: Matrix; // (nKvHeads * headDim, dim)
  wv: Matrix; // (nKvHeads * headDim, dim)
  wo: Matrix; // (dim, nHeads * headDim)
  /** qwen2 only: biases added after the q/k/v projections. */
  bq: Float32Array | null;
  bk: Float32Array | null;
  bv: Float32Array | null;
  ffnNorm: Float32Array; // (dim)
  wGate: Matrix; // (hiddenDim, dim)
  wUp: Matrix; // (hiddenDim, dim)
  wDown: Matrix; // (dim, hiddenDim)
}

export interface ModelWeights {
  tokenEmbedding: Matrix; // (vocabSize, dim)
  layers: LayerWeights[];
  outputNorm: Float32Array; // (dim)
  /** (vocabSize, dim); token_embd.weight itself when the output is tied. */
  output: Matrix;
}

/** Binds every tensor the forward pass reads to a view of the file (no copies of matrices). */
export function bindWeights(file: GgufFile, config: ModelConfig): ModelWeights {
  const matrix = (name: string, rows: number, cols: number): Matrix => {
    const info = file.tensors.get(name);
    if (info === undefined) throw new ModelFormatError(`${file.path}: tensor ${name} is missing`, { path: file.path, tensor: name });
    if (info.dims.length < 2 || info.dims[0] !== cols || info.dims[1] !== rows) {
      throw new ModelFormatError(`${file.path}: tensor ${name} has dims [${info.dims}], expected [${cols}, ${rows}]`, { path: file.path, tensor: name });
    }
    return { data: file.tensorData(name), type: info.type, rows, cols };
  };
  const vector = (name: string, length: number): Float32Array => {
    const info = file.tensors.get(name);
    if (info === undefined) throw new ModelFormatError(`${file.path}: tensor ${name} is missing`, { path: file.path, tensor: name });
    if (info.type !== 0 || info.dims[0] !== length) {
      throw new ModelFormatError(`${file.path}: tensor ${name} must be f32 of length ${length}`, { path: file.path, tensor: name });
    }
    const bytes = file.tensorData(name);
    // A view when aligned; norms and biases are small, so a misaligned one is copied once.
    return bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, length) : new Float32Array(bytes.slice().buffer, 0, length);
  };

  const { dim, hiddenDim, nHeads, nKvHeads, headDim, vocabSize } = config;
  const qDim = nHeads * headDim;
  const kvDim = nKvHeads * headDim;
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const prefix = `blk.${l}.`;
    layers.push({
      attentionNorm: vector(`${prefix}attn_norm.weight`, dim),
      wq: matrix(`${prefix}attn_q.weight`, qDim, dim),
      wk: matrix(`${prefix}attn_k.weight`, kvDim, dim),
      wv: matrix(`${prefix}attn_v.weight`, kvDim, dim),
      wo: matrix(`${prefix}attn_output.weight`, dim, qDim),
      bq: config.attentionBias ? vector(`${prefix}attn_q.bias`, qDim) : null,
      bk: config.attentionBias ? vector(`${prefix}attn_k.bias`, kvDim) : null,
      bv: config.attentionBias ? vector(`${prefix}attn_v.bias`, kvDim) : null,
      ffnNorm: vector(`${prefix}ffn_norm.weight`, dim),
      wGate: matrix(`${prefix}ffn_gate.weight`, hiddenDim, dim),
      wUp: matrix(`${prefix}ffn_up.weight`, hiddenDim, dim),
      wDown: matrix(`${prefix}ffn_down.weight`, dim, hiddenDim),
    });
  }
  const tokenEmbedding = matrix("token_embd.weight", vocabSize, dim);
  return {
    tokenEmbedding,
    layers,
    outputNorm: vector("output_norm.weight", dim),
    output: config.tiedOutput ? tokenEmbedding : matrix("output.weight", vocabSize, dim),
  };
}
