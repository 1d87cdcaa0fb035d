/**
 * Engine decode benchmark (issue 4): decode and prompt-processing tokens/s of our engine (native
 * and JS kernels) and node-llama-cpp on the same GGUF files and thread count, in one run, with
 * the memory-bandwidth bound (bytes of weights read per token vs measured read bandwidth).
 *
 *   npx tsx bench/engine-decode.ts [--quick] [--threads N] [--reps N]
 *
 * Models are generated into bench/out/ (git-ignored) with `createModelFile`, seed 1. Engines run
 * interleaved, one repetition each in turn, after one warm-up; the JS kernels on stories110m run
 * at most 2 repetitions of 8 decode tokens (they take seconds per token).
 */
import { existsSync, mkdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { getLlama } from "node-llama-cpp";
import { readGguf } from "../src/engine/gguf/index.js";
import { createModelFile } from "../src/engine/model-file/index.js";
import { generate } from "../src/engine/generate/index.js";
import { loadModel } from "../src/engine/runtime/index.js";
import { loadTokenizer } from "../src/engine/tokenizer/index.js";
import { describeMachine, median } from "./machine.mjs";

type Preset = "stories15m" | "stories110m";
type Dtype = "f32" | "q8_0";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const threads = flag("--threads", Math.max(1, cpus().length));
const reps = flag("--reps", 5);
const quick = args.includes("--quick");
const PROMPT_TOKENS = 64;
const outDir = join(import.meta.dirname, "out");


/**
 * Memory read bandwidth, bytes/s: `threads` workers each scan their own 256 MiB buffer with
 * Buffer.indexOf for a byte that is not there (libc memchr, vectorized), all at once; best of 5.
 */
async function measureBandwidth(workers: number): Promise<number> {
  const source = `
    const { parentPort } = require("node:worker_threads");
    const buffer = Buffer.alloc(256 * 1024 * 1024, 7);
    parentPort.on("message", () => {
      const start = performance.now();
      const found = buffer.indexOf(9);
      parentPort.postMessage({ seconds: (performance.now() - start) / 1000, bytes: buffer.length, found });
    });
    parentPort.postMessage("ready");`;
  const pool = Array.from({ length: workers }, () => new Worker(source, { eval: true }));
  await Promise.all(pool.map((worker) => new Promise((resolve) => worker.once("message", resolve))));
  let best = 0;
  for (let rep = 0; rep < 5; rep++) {
    const results = await Promise.all(
      pool.map(
        (worker) =>
          new Promise<{ seconds: number; bytes: number }>((resolve) => {
            worker.once("message", resolve);
            worker.postMessage("go");
          }),
      ),
    );
    const bytes = results.reduce((sum, result) => sum + result.bytes, 0);
    best = Math.max(best, bytes / Math.max(...results.map((result) => result.seconds)));
  }
  await Promise.all(pool.map((worker) => worker.terminate()));
  return best;
}

/** Bytes of weights one decode step reads: every matrix once, one embedding row, norms. */
function weightBytesPerToken(path: string): number {
  const file = readGguf(path);
  let bytes = 0;
  const embedding = file.tensors.get("token_embd.weight");
  for (const [name, info] of file.tensors) if (name !== "token_embd.weight") bytes += info.byteLength;
  if (embedding) {
    const rows = embedding.dims[1];
    bytes += file.tensors.has("output.weight") ? embedding.byteLength / rows : embedding.byteLength;
  }
  file.close();
  return bytes;
}

function modelPath(preset: Preset, dtype: Dtype): string {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `${preset}-${dtype}.gguf`);
  if (!existsSync(path)) {
    process.stderr.write(`generating ${path}\n`);
    createModelFile({ out: path, preset, dtype, seed: 1 });
  }
  return path;
}

/** Deterministic prompt tokens inside the vocabulary, away from special ids. */
function promptTokens(vocab: number): number[] {
  return Array.from({ length: PROMPT_TOKENS }, (_, i) => 300 + ((i * 7919) % (vocab - 400)));
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

interface Timing {
  prompt: number;
  decode: number;
}

/** One engine on one file: `once` runs a prompt then `decodeTokens` greedy steps and returns tok/s. */
interface Runner {
  engine: string;
  once(): Promise<Timing>;
  close(): Promise<void>;
}

function oursRunner(path: string, kernels: "native" | "js", decodeTokens: number): Runner {
  const model = loadModel(path, { kernels, threads, contextLength: PROMPT_TOKENS + decodeTokens + 8 });
  const tokens = promptTokens(model.config.vocabSize);
  const step = new Int32Array(1);
  return {
    engine: `ours (${model.kernels.name})`,
    async once() {
      const sequence = model.newSequence({ maxTokens: PROMPT_TOKENS + decodeTokens + 1 });
      let start = performance.now();
      let logits = sequence.forward(tokens);
      const promptSeconds = (performance.now() - start) / 1000;
      start = performance.now();
      for (let i = 0; i < decodeTokens; i++) {
        step[0] = argmax(logits);
        logits = sequence.forward(step);
      }
      const decodeSeconds = (performance.now() - start) / 1000;
      sequence.free();
      return { prompt: PROMPT_TOKENS / promptSeconds, decode: decodeTokens / decodeSeconds };
    },
    async close() {
      model.close();
    },
  };
}

/** The same decode through the whole generation path: queue, greedy sampler, streaming detokenizer. */
function generateRunner(path: string, decodeTokens: number): Runner {
  const model = loadModel(path, { kernels: "native", threads, contextLength: PROMPT_TOKENS + decodeTokens + 8 });
  const tokenizer = loadTokenizer(model.file);
  const noStop = Object.fromEntries([...tokenizer.stopTokens].map((id) => [id, -100]));
  return {
    engine: `ours (${model.kernels.name}) via generate()`,
    async once() {
      const start = performance.now();
      let first = 0;
      let last = 0;
      const request = { prompt: promptTokens(model.config.vocabSize), maxTokens: decodeTokens + 1, sampling: { temperature: 0, logitBias: noStop } };
      for await (const event of generate(model, tokenizer, request)) {
        if (event.type !== "text-delta") continue;
        last = performance.now();
        if (first === 0) first = last;
      }
      return { prompt: PROMPT_TOKENS / ((first - start) / 1000), decode: decodeTokens / ((last - first) / 1000) };
    },
    async close() {
      model.close();
    },
  };
}

async function llamaCppRunner(path: string, decodeTokens: number): Promise<Runner> {
  const llama = await getLlama({ gpu: false, build: "never" });
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: PROMPT_TOKENS + decodeTokens + 16, threads, batchSize: PROMPT_TOKENS });
  const sequence = context.getSequence();
  const tokens = promptTokens(32000);
  return {
    engine: "node-llama-cpp",
    async once() {
      await sequence.clearHistory();
      let start = performance.now();
      await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(0, -1) as never);
      const promptSeconds = (performance.now() - start) / 1000;
      // Decode: the last prompt token yields the first new token; time the following ones.
      let generated = 0;
      start = 0;
      for await (const _token of sequence.evaluate(tokens.slice(-1) as never, { temperature: 0 })) {
        if (generated === 0) start = performance.now();
        generated++;
        if (generated > decodeTokens) break;
      }
      const decodeSeconds = (performance.now() - start) / 1000;
      return { prompt: (PROMPT_TOKENS - 1) / promptSeconds, decode: decodeTokens / decodeSeconds };
    },
    async close() {
      await context.dispose();
      await model.dispose();
    },
  };
}

/** Runs every runner once per repetition, interleaved, so load changes on a shared machine hit all engines alike. */
async function measure(runners: Runner[], repetitions = reps): Promise<Timing[]> {
  const samples = runners.map(() => ({ prompt: [] as number[], decode: [] as number[] }));
  for (let rep = 0; rep < repetitions + 1; rep++) {
    for (const [i, runner] of runners.entries()) {
      const timing = await runner.once();
      if (rep === 0) continue; // warm-up
      samples[i].prompt.push(timing.prompt);
      samples[i].decode.push(timing.decode);
    }
  }
  return samples.map((sample) => ({ prompt: median(sample.prompt), decode: median(sample.decode) }));
}

console.log(`Machine: ${describeMachine()}`);
console.log(`Load average at start: ${loadavg().map((value) => value.toFixed(2)).join(" ")} (other work on the machine skews every engine, llama.cpp's spinning threads most)`);
console.log(`Threads: ${threads} for every engine; ${reps} repetitions (medians), prompt ${PROMPT_TOKENS} tokens`);
const bandwidth = await measureBandwidth(threads);
console.log(`Measured read bandwidth (${threads} thread(s) each memchr-scanning 256 MiB, best of 5): ${(bandwidth / 1e9).toFixed(2)} GB/s\n`);

const header = "| model | dtype | engine | prompt tok/s | decode tok/s | decode vs llama.cpp | prompt vs llama.cpp | weights read/token | bandwidth bound tok/s |";
console.log(header);
console.log("|---|---|---|---:|---:|---:|---:|---:|---:|");
const presets: Preset[] = quick ? ["stories15m"] : ["stories15m", "stories110m"];
for (const preset of presets) {
  for (const dtype of ["f32", "q8_0"] as Dtype[]) {
    const path = modelPath(preset, dtype);
    const bytes = weightBytesPerToken(path);
    const decodeTokens = preset === "stories15m" ? 64 : 32;
    const fast = [await llamaCppRunner(path, decodeTokens), oursRunner(path, "native", decodeTokens), generateRunner(path, decodeTokens)];
    const fastTimings = await measure(fast);
    await Promise.all(fast.map((runner) => runner.close()));
    // The JS kernels are an order of magnitude slower: fewer tokens and (on stories110m) fewer repetitions, on their own.
    const slow = [oursRunner(path, "js", preset === "stories15m" ? 32 : 8)];
    const slowTimings = await measure(slow, preset === "stories15m" ? reps : Math.min(reps, 2));
    await Promise.all(slow.map((runner) => runner.close()));
    const reference = fastTimings[0];
    [...fast, ...slow].forEach((runner, i) => {
      const timing = [...fastTimings, ...slowTimings][i];
      console.log(
        `| ${preset} | ${dtype} | ${runner.engine} | ${timing.prompt.toFixed(1)} | ${timing.decode.toFixed(1)} | ${(timing.decode / reference.decode).toFixed(2)}x | ${(timing.prompt / reference.prompt).toFixed(2)}x | ${(bytes / 2 ** 20).toFixed(1)} MiB | ${(bandwidth / bytes).toFixed(0)} |`,
      );
    });
  }
}
