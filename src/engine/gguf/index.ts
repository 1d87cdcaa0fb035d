export { GgufError } from "./errors.js";
export {
  GgmlType,
  GgufValueType,
  type GgufValue,
  type GgufTensorInfo,
  ggmlTypeName,
  isSupportedType,
  ggmlTypeFromName,
  blockSize,
  tensorByteLength,
} from "./types.js";
export { readGguf, readGgufHeader, parseGguf, type GgufFile, type ParseOptions } from "./reader.js";
export {
  writeGguf,
  writeGgufStreaming,
  GGUF_ALIGNMENT,
  type GgufMetadataEntry,
  type GgufTensorInput,
  type GgufTensorSpec,
} from "./writer.js";
export { quantizeQ8_0, quantizeQ4_0, encodeF16, encodeTensor, dequantize } from "./quantize.js";
export { f32ToF16Bits, f16BitsToF32 } from "./f16.js";
