export { createModelFile, ModelFileError, type CreateModelOptions } from "./create.js";
export {
  PRESETS,
  PRESET_NAMES,
  MODEL_DTYPES,
  getPreset,
  checkDtype,
  type Preset,
  type PresetName,
  type ModelDtype,
} from "./presets.js";
export { CHATML_TEMPLATE, LLAMA2_TEMPLATE } from "./templates.js";
export { describeModelFile, describeGguf, type ModelDescription, type TensorTypeSummary } from "./describe.js";
