import { statSync } from "node:fs";
import { type GgufFile, readGguf } from "../gguf/index.js";
import { type KernelPreference, type KernelSet, loadKernels } from "../kernels/index.js";
import { type ModelConfig, readModelConfig } from "./config.js";
import { type BatchSegment, createStepState, forwardSegments, type KvStorage, type StepState } from "./forward.js";
import { ModelFormatError } from "./errors.js";
import { defaultThreads, detectHardware, type HardwareInfo } from "./hardware.js";
import { checkSequenceFits, checkWeightsFit, planContextLength } from "./memory-plan.js";
import { createSequence, type Sequence } from "./sequence.js";
import { bindWeights, type ModelWeights } from "./weights.js";

export interface LoadedModel {
  /** The model's shape; contextLength is the context this load uses (trained context, capped by memory and options). */
  readonly config: ModelConfig;
  /** The context the model was trained for (GGUF `<arch>.context_length`). */
  readonly trainedContextLength: number;
  readonly file: GgufFile;
  readonly weights: ModelWeights;
  readonly kernels: KernelSet;
  readonly threads: number;
  readonly hardware: HardwareInfo;
  /** Throws ModelTooLargeError when the sequence's KV cache would not fit in available memory. */
  newSequence(options?: { maxTokens?: number }): Sequence;
  /**
   * One model step over several sequences whose keys and values live in `kv` (a paged pool):
   * see forwardSegments. Scratch activations grow to the largest step seen and are reused.
   */
  forwardSegments(kv: KvStorage, tokens: ArrayLike<number>, segments: readonly BatchSegment[], logits: Float32Array): void;
  /** Index of the largest logit, by the kernels (KernelSet.argmax). */
  argmax(values: Float32Array): number;
  close(): void;
}

export interface LoadModelOptions {
  kernels?: KernelPreference;
  /** Threads for the native kernels; default one per physical core. */
  threads?: number;
  /** Context to use; default the model's trained context, lowered to what free memory holds. */
  contextLength?: number;
}

export function loadModel(path: string, options: LoadModelOptions = {}): LoadedModel {
  const hardware = detectHardware();
  // The reader loads the whole file, so check the weights fit before reading them.
  let weightBytes: number;
  try {
    weightBytes = statSync(path).size;
  } catch (error) {
    throw new ModelFormatError(`cannot read model file ${path}: ${(error as Error).message}`, { path }, { cause: error });
  }
  checkWeightsFit(path, weightBytes, hardware.availableMemory);
  const file = readGguf(path);
  try {
    const trained = readModelConfig(file);
    const contextLength = planContextLength(path, trained, options.contextLength, weightBytes, detectHardware().availableMemory);
    const config: ModelConfig = { ...trained, contextLength };
    const weights = bindWeights(file, config);
    const kernels = loadKernels(options.kernels ?? "auto", { threads: options.threads ?? defaultThreads(hardware) });
    let stepState: StepState | null = null;
    return {
      config,
      trainedContextLength: trained.contextLength,
      file,
      weights,
      kernels,
      threads: kernels.threads,
      hardware,
      newSequence(sequenceOptions = {}) {
        const maxTokens = Math.max(1, Math.min(sequenceOptions.maxTokens ?? contextLength, contextLength));
        checkSequenceFits(config, maxTokens, detectHardware().availableMemory);
        return createSequence(config, weights, kernels, maxTokens);
      },
      forwardSegments(kv, tokens, segments, logits) {
        let total = 0;
        for (const segment of segments) total += segment.count;
        if (stepState === null || stepState.capacity < total) stepState = createStepState(config, Math.max(total, stepState?.capacity ?? 0), contextLength);
        forwardSegments(config, weights, kernels, kv, tokens, segments, stepState, logits);
      },
      argmax: (values) => kernels.argmax(values),
      close() {
        file.close();
      },
    };
  } catch (error) {
    file.close();
    throw error;
  }
}
