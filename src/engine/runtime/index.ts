export { type BatchSegment, type KvStorage, type SegmentLogits } from "./forward.js";
export { kvBytesPerToken, type ModelConfig, readModelConfig } from "./config.js";
export { ModelFormatError, ModelTooLargeError, SequenceError } from "./errors.js";
export { defaultThreads, detectHardware, formatBytes, type HardwareInfo } from "./hardware.js";
export { checkSequenceFits, checkWeightsFit, planContextLength, planKvBlocks, RESERVE_BYTES } from "./memory-plan.js";
export { type LoadedModel, type LoadModelOptions, loadModel } from "./model.js";
export { referenceLogits } from "./reference.js";
export { MAX_BATCH, type Sequence } from "./sequence.js";
export type { LayerWeights, Matrix, ModelWeights } from "./weights.js";
