export { checkBlockTable } from "./block-table.js";
export { KernelError } from "./errors.js";
export { checkMatrix, F16_TO_F32, QK, Q4_0_BLOCK_BYTES, Q8_0_BLOCK_BYTES, readRow, roundToF16, roundToF16InPlace, rowBytes } from "./formats.js";
export { createJsKernels } from "./js-kernels.js";
export { jsArgmax } from "./js-ops.js";
export { type AttentionBatch, type AttentionShape, type KernelSet, RopeStyle } from "./kernel-set.js";
export { type KernelPreference, type LoadKernelsOptions, loadKernels } from "./load.js";
export { ADDON_RELATIVE_PATH, addonPath, createNativeKernels, type NativeInfo, nativeInfo, packageRoot, type SimdChoice, type SimdLevel } from "./native.js";
export { createReferenceKernels } from "./reference.js";
