import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkMatrix } from "./formats.js";
import type { KernelSet } from "./kernel-set.js";

/** What build/Release/pyagent_kernels.node exports (native/addon.cc). */
interface NativeAddon {
  matmul(out: Float32Array, weights: Uint8Array, type: number, x: Float32Array, n: number, rows: number, cols: number): void;
  rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, eps: number): void;
  rope(vec: Float32Array, n: number, heads: number, headDim: number, position: number, freqBase: number, style: number): void;
  softmax(x: Float32Array, length: number): void;
  swiglu(out: Float32Array, gate: Float32Array, up: Float32Array): void;
  argmax(x: Float32Array, length: number): number;
  add(out: Float32Array, x: Float32Array): void;
  attention(
    out: Float32Array,
    q: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    blockTable: Int32Array,
    blockSize: number,
    position: number,
    n: number,
    nHeads: number,
    nKvHeads: number,
    headDim: number,
  ): void;
  attendBatch(
    out: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    segments: Int32Array,
    tables: Int32Array,
    blockSize: number,
    nHeads: number,
    nKvHeads: number,
    headDim: number,
    freqBase: number,
    style: number,
  ): void;
  setThreads(threads: number): void;
  setSimd(simd: SimdChoice): void;
  info(): NativeInfo;
}

/**
 * The addon's kernel levels. "avx2" needs avx2 + fma + f16c; "avx512" also avx512f/vl/bw/vnni
 * (batched f32 and q8_0 products; the single-token products, and so every bit, are avx2's).
 */
export type SimdLevel = "scalar" | "avx2" | "avx512";
/** "auto" is the best level the CPU has. */
export type SimdChoice = "auto" | SimdLevel;

export interface NativeInfo {
  threads: number;
  /** The level in use: the best the CPU has unless a set was created with another `simd`. */
  simd: SimdLevel;
  /** Every level this CPU can run, lowest first. */
  levels: SimdLevel[];
  avx2: boolean;
  fma: boolean;
  f16c: boolean;
  avx512f: boolean;
  avx512vl: boolean;
  avx512bw: boolean;
  avx512vnni: boolean;
}

export const ADDON_RELATIVE_PATH = join("build", "Release", "pyagent_kernels.node");

/** The package root: the nearest folder above this file whose package.json is PyAgent's. */
export function packageRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(folder, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "pyagent") return folder;
    const parent = dirname(folder);
    if (parent === folder) return process.cwd();
    folder = parent;
  }
}

const addons = new Map<string, NativeAddon>();

/** Where the addon is: PYAGENT_NATIVE_ADDON when set, else build/Release under the package root. */
export function addonPath(): string {
  return process.env.PYAGENT_NATIVE_ADDON ?? join(packageRoot(), ADDON_RELATIVE_PATH);
}

/** Loads the addon once per path; throws (with the loader's reason) when it is missing or will not load. */
function loadAddon(): NativeAddon {
  const path = addonPath();
  let addon = addons.get(path);
  if (addon === undefined) {
    if (!existsSync(path)) throw new Error(`${path} does not exist (npm install builds it with node-gyp)`);
    addon = createRequire(import.meta.url)(path) as NativeAddon;
    addons.set(path, addon);
  }
  return addon;
}

export function nativeInfo(): NativeInfo {
  return loadAddon().info();
}

/**
 * The native kernel set over `threads` threads. The addon's thread pool and SIMD level are
 * process-wide, so the last set created decides them. `simd` forces a level (tests cover every
 * level the CPU has: "scalar" is the portable C used without AVX2); a level the CPU lacks throws.
 */
export function createNativeKernels(threads: number, options: { simd?: SimdChoice } = {}): KernelSet {
  const native = loadAddon();
  native.setThreads(Math.max(1, Math.floor(threads)));
  native.setSimd(options.simd ?? "auto");
  return {
    name: "native",
    threads: native.info().threads,
    matvec(out, weights, type, x, rows, cols) {
      checkMatrix(weights, type, rows, cols);
      native.matmul(out, weights, type, x, 1, rows, cols);
    },
    matmul(out, weights, type, x, n, rows, cols) {
      checkMatrix(weights, type, rows, cols);
      native.matmul(out, weights, type, x, n, rows, cols);
    },
    rmsnorm: (out, x, weight, eps) => native.rmsnorm(out, x, weight, eps),
    rope: (vec, n, heads, headDim, position, freqBase, style) => native.rope(vec, n, heads, headDim, position, freqBase, style),
    softmax: (x, length) => native.softmax(x, length),
    swiglu: (out, gate, up) => native.swiglu(out, gate, up),
    argmax: (values) => native.argmax(values, values.length),
    add: (out, x) => native.add(out, x),
    // The addon checks the block table itself (a RangeError names the bad entry).
    attention: (out, q, keys, values, blockTable, blockSize, position, n, nHeads, nKvHeads, headDim) =>
      native.attention(out, q, keys, values, blockTable, blockSize, position, n, nHeads, nKvHeads, headDim),
    attendBatch: (out, q, k, v, keys, values, { segments, tables }, { nHeads, nKvHeads, headDim, blockSize, freqBase, style }) =>
      native.attendBatch(out, q, k, v, keys, values, segments, tables, blockSize, nHeads, nKvHeads, headDim, freqBase, style),
  };
}
