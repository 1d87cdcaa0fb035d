import { availableParallelism } from "node:os";
import { createLogger } from "../../observability/index.js";
import { createJsKernels } from "./js-kernels.js";
import type { KernelSet } from "./kernel-set.js";
import { createNativeKernels } from "./native.js";

export type KernelPreference = "native" | "js" | "auto";

export interface LoadKernelsOptions {
  /** Threads for the native set; default: every core. */
  threads?: number;
  /** Receives the reason when the native set was wanted but the TypeScript set is returned. */
  onFallback?: (reason: string) => void;
}

const logger = createLogger({ name: "engine.kernels" });

/**
 * Picks the kernel set. PYAGENT_KERNELS=js forces the TypeScript set; otherwise "auto" and
 * "native" use the addon when it loads and fall back to TypeScript, logging why, when it does not.
 */
export function loadKernels(preference: KernelPreference = "auto", options: LoadKernelsOptions = {}): KernelSet {
  const forced = process.env.PYAGENT_KERNELS;
  if (forced === "js" || preference === "js") return createJsKernels();
  try {
    return createNativeKernels(options.threads ?? availableParallelism());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger.warn({ reason }, "native kernels unavailable, using the TypeScript kernels");
    options.onFallback?.(reason);
    return createJsKernels();
  }
}
