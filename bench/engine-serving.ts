/**
 * Engine serving benchmark (issue 5): aggregate decode tokens/s of N concurrent streams through
 * one GenerationQueue (continuous batching over the paged KV cache) and through node-llama-cpp
 * with N parallel sequences of one context; and time to first token of a request whose
 * 1,000-token prefix is cached vs not cached, on both engines; same GGUF files and thread count.
 *
 *   npx tsx bench/engine-serving.ts [--quick] [--threads N] [--reps N] [--models stories15m,stories110m] [--dtypes q8_0,f32]
 *
 * Models are generated into bench/out/ (git-ignored) with `createModelFile`, seed 1, context
 * 2048 (the presets' 256 and 1024 are too short for the 1,000-token prefix). Engines run
 * interleaved, one repetition each in turn, after one warm-up; medians of --reps.
 *
 * Decode measure (both engines): N streams are started at once, each with its own 16-token
 * prompt, and each generates 1 + G greedy tokens with every stop token out of reach (our
 * engine: logit bias -100; llama.cpp: end-of-generation tokens are yielded and generation goes
 * on). Aggregate decode tok/s = N·G / (time of the last token of any stream − time by which
 * every stream had its first token). The prompts' prefill is thereby left out.
 */
import { existsSync, mkdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { getLlama, type Llama, type LlamaModel } from "node-llama-cpp";
import { type GenerationEvent, GenerationQueue } from "../src/engine/generate/index.js";
import { KvBlockPool } from "../src/engine/kv/index.js";
import { createModelFile } from "../src/engine/model-file/index.js";
import { type BatchSegment, type LoadedModel, loadModel } from "../src/engine/runtime/index.js";
import { loadTokenizer } from "../src/engine/tokenizer/index.js";
import { describeMachine, median } from "./machine.mjs";

type Preset = "stories15m" | "stories110m";
type Dtype = "f32" | "q8_0";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const quick = args.includes("--quick");
const threads = Number(option("--threads") ?? Math.max(1, cpus().length));
const reps = Number(option("--reps") ?? (quick ? 1 : 3));
const presets = (option("--models") ?? "stories15m,stories110m").split(",") as Preset[];
const dtypes = (option("--dtypes") ?? "q8_0").split(",") as Dtype[];
const STREAMS = [1, 4, 8, 16];
const PROMPT_TOKENS = 16;
const PREFIX_TOKENS = 1000;
const SUFFIX_TOKENS = 16;
const CONTEXT = 2048;
const BATCH_TOKENS = 512;
const outDir = join(import.meta.dirname, "out");

/** Decode tokens per stream after its first token. */
function decodeTokens(preset: Preset): number {
  if (quick) return 8;
  return preset === "stories15m" ? 32 : 16;
}

function modelPath(preset: Preset, dtype: Dtype): string {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `${preset}-${dtype}-ctx${CONTEXT}.gguf`);
  if (!existsSync(path)) {
    process.stderr.write(`generating ${path}\n`);
    createModelFile({ out: path, preset, dtype, seed: 1, contextLength: CONTEXT });
  }
  return path;
}

/** Seeded token ids in [3, vocab): mulberry32, so every run and both engines see the same prompts. */
function randomTokens(count: number, vocab: number, seed: number): number[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => 3 + Math.floor(next() * (vocab - 3)));
}

/** One stream's tokens and the time each arrived (performance.now ms). */
interface StreamRecord {
  tokens: number[];
  times: number[];
}

/** Aggregate decode tok/s of N streams by the measure in the header; also the spread of first tokens. */
function aggregate(streams: StreamRecord[], perStream: number): { decode: number; firstSpreadMs: number } {
  const firsts = streams.map((stream) => stream.times[0]);
  const allFirst = Math.max(...firsts);
  const last = Math.max(...streams.map((stream) => stream.times[stream.times.length - 1]));
  return { decode: (streams.length * perStream) / ((last - allFirst) / 1000), firstSpreadMs: allFirst - Math.min(...firsts) };
}

async function collect(events: AsyncIterable<GenerationEvent>): Promise<StreamRecord> {
  const record: StreamRecord = { tokens: [], times: [] };
  for await (const event of events) {
    if (event.type !== "text-delta" || event.token < 0) continue;
    record.times.push(performance.now());
    record.tokens.push(event.token);
  }
  return record;
}

interface Ours {
  model: LoadedModel;
  queue(maxSeqs: number, kvBlocks: number, prefixCaching?: boolean): GenerationQueue;
  noStop: Record<string, number>;
}

function loadOurs(path: string): Ours {
  const model = loadModel(path, { threads, contextLength: CONTEXT });
  const tokenizer = loadTokenizer(model.file);
  return {
    model,
    queue: (maxSeqs, kvBlocks, prefixCaching = true) =>
      new GenerationQueue(model, tokenizer, { maxSeqs, maxBatchedTokens: BATCH_TOKENS, blockSize: 16, kvBlocks, prefixCaching }),
    noStop: Object.fromEntries([...tokenizer.stopTokens].map((id) => [id, -100])),
  };
}

/** N prompts submitted at once to one fresh queue; each generates 1 + perStream tokens. */
async function oursStreams(ours: Ours, prompts: number[][], perStream: number, prefixCaching = true): Promise<StreamRecord[]> {
  const blocksPerStream = Math.ceil((PROMPT_TOKENS + perStream + 2) / 16);
  const queue = ours.queue(prompts.length, prompts.length * blocksPerStream + 4, prefixCaching);
  const sampling = { temperature: 0, logitBias: ours.noStop };
  const iterators = prompts.map((prompt) => queue.submit({ prompt, maxTokens: perStream + 1, sampling }));
  return Promise.all(iterators.map(collect));
}

/** node-llama-cpp: one context with N sequences; the N evaluations run concurrently and are batched into one llama_decode per step. */
async function llamaStreams(sequences: Awaited<ReturnType<typeof llamaContext>>["sequences"], prompts: number[][], perStream: number): Promise<StreamRecord[]> {
  await Promise.all(sequences.map((sequence) => sequence.clearHistory()));
  return Promise.all(
    prompts.map(async (prompt, i) => {
      const record: StreamRecord = { tokens: [], times: [] };
      for await (const token of sequences[i].evaluate(prompt as never, { temperature: 0, yieldEogToken: true })) {
        record.times.push(performance.now());
        record.tokens.push(token);
        if (record.tokens.length > perStream) break;
      }
      return record;
    }),
  );
}

async function llamaContext(model: LlamaModel, sequences: number, contextSize: number) {
  const context = await model.createContext({ sequences, contextSize, threads, batchSize: BATCH_TOKENS, flashAttention: false });
  return { context, sequences: Array.from({ length: sequences }, () => context.getSequence()) };
}

interface DecodeRow {
  streams: number;
  ours: number;
  llama: number;
  oursSpread: number;
  llamaSpread: number;
  /** Streams whose tokens equal the same prompt run alone with batching and prefix caching off (every repetition). */
  lossless: string;
  /** Streams whose greedy tokens equal llama.cpp's (information only: the engines round differently). */
  agreeLlama: string;
}

async function decodeSection(ours: Ours, llamaModel: LlamaModel, perStream: number): Promise<DecodeRow[]> {
  const vocab = ours.model.config.vocabSize;
  const allPrompts = Array.from({ length: Math.max(...STREAMS) }, (_, i) => randomTokens(PROMPT_TOKENS, vocab, 1000 + i));
  // Reference: each prompt alone, one sequence, no prefix caching.
  const solo: number[][] = [];
  for (const prompt of allPrompts) solo.push((await oursStreams(ours, [prompt], perStream, false))[0].tokens);
  const rows: DecodeRow[] = [];
  for (const n of STREAMS) {
    const streamPrompts = allPrompts.slice(0, n);
    const llama = await llamaContext(llamaModel, n, PROMPT_TOKENS + perStream + 8);
    const samples = { ours: [] as number[], llama: [] as number[], oursSpread: [] as number[], llamaSpread: [] as number[] };
    let equalSolo = 0;
    let checked = 0;
    let agree = 0;
    for (let rep = 0; rep <= reps; rep++) {
      const oursRecords = await oursStreams(ours, streamPrompts, perStream);
      const llamaRecords = await llamaStreams(llama.sequences, streamPrompts, perStream);
      oursRecords.forEach((record, i) => {
        checked++;
        if (record.tokens.join() === solo[i].join()) equalSolo++;
      });
      if (rep === 0) {
        agree = oursRecords.filter((record, i) => record.tokens.join() === llamaRecords[i].tokens.join()).length;
        continue; // warm-up
      }
      const a = aggregate(oursRecords, perStream);
      const b = aggregate(llamaRecords, perStream);
      samples.ours.push(a.decode);
      samples.llama.push(b.decode);
      samples.oursSpread.push(a.firstSpreadMs);
      samples.llamaSpread.push(b.firstSpreadMs);
    }
    await llama.context.dispose();
    rows.push({
      streams: n,
      ours: median(samples.ours),
      llama: median(samples.llama),
      oursSpread: median(samples.oursSpread),
      llamaSpread: median(samples.llamaSpread),
      lossless: `${equalSolo}/${checked}`,
      agreeLlama: `${agree}/${n}`,
    });
  }
  return rows;
}

/**
 * Where the decode time goes, without the queue: one model step (forwardSegments) of N decode
 * tokens, each its own sequence at position PROMPT_TOKENS of its own blocks; median of 9 steps
 * after one warm-up. The KV contents are zeros: the arithmetic is the same as with real prompts.
 */
function stepProfile(ours: Ours): { streams: number; stepMs: number }[] {
  const { nLayers, nKvHeads, headDim, vocabSize } = ours.model.config;
  const maxStreams = Math.max(...STREAMS);
  const blocksPerStream = 2;
  const pool = new KvBlockPool({ nLayers, kvDim: nKvHeads * headDim, blocks: maxStreams * blocksPerStream, blockSize: 16 });
  const logits = new Float32Array(maxStreams * vocabSize);
  const tokens = Int32Array.from({ length: maxStreams }, (_, i) => 100 + i);
  return STREAMS.map((n) => {
    const segments: BatchSegment[] = Array.from({ length: n }, (_, i) => ({
      count: 1,
      position: PROMPT_TOKENS,
      blockTable: Int32Array.from({ length: blocksPerStream }, (_, b) => i * blocksPerStream + b),
      logits: "last",
    }));
    const times: number[] = [];
    for (let step = 0; step < 10; step++) {
      const start = performance.now();
      ours.model.forwardSegments(pool, tokens.subarray(0, n), segments, logits);
      if (step > 0) times.push(performance.now() - start);
    }
    return { streams: n, stepMs: median(times) };
  });
}

interface TtftRow {
  engine: string;
  uncached: number;
  cached: number;
  computed: string;
}

async function ttftSection(ours: Ours, llamaModel: LlamaModel): Promise<TtftRow[]> {
  const vocab = ours.model.config.vocabSize;
  const prefix = randomTokens(PREFIX_TOKENS, vocab, 7);
  const promptA = [...prefix, ...randomTokens(SUFFIX_TOKENS, vocab, 8)];
  const promptB = [...prefix, ...randomTokens(SUFFIX_TOKENS, vocab, 9)];
  const llama = await llamaContext(llamaModel, 1, PREFIX_TOKENS + 2 * SUFFIX_TOKENS + 8);
  const sequence = llama.sequences[0];
  const samples = { oursA: [] as number[], oursB: [] as number[], llamaA: [] as number[], llamaB: [] as number[] };
  let computed = "";
  const oursFirst = async (queue: GenerationQueue, prompt: number[]) => {
    const start = performance.now();
    const record = await collect(queue.submit({ prompt, maxTokens: 1, sampling: { temperature: 0 } }));
    return record.times[0] - start;
  };
  const llamaFirst = async (tokens: number[]) => {
    const start = performance.now();
    for await (const _token of sequence.evaluate(tokens as never, { temperature: 0, yieldEogToken: true })) break;
    return performance.now() - start;
  };
  for (let rep = 0; rep <= reps; rep++) {
    // Ours: a fresh queue (empty cache) per repetition; A fills the cache, B reuses its prefix blocks.
    const queue = ours.queue(1, Math.ceil(CONTEXT / 16));
    const a = await oursFirst(queue, promptA);
    const before = queue.metrics.snapshot();
    const b = await oursFirst(queue, promptB);
    const after = queue.metrics.snapshot();
    computed = `A ${before.computedTokens}, B ${after.computedTokens - before.computedTokens} (prefix-cache hit ${after.prefixCacheHitTokens - before.prefixCacheHitTokens})`;
    // llama.cpp: A on an empty sequence; then keep the prefix's cells, drop the rest, evaluate only B's suffix.
    await sequence.clearHistory();
    const c = await llamaFirst(promptA);
    await sequence.eraseContextTokenRanges([{ start: PREFIX_TOKENS, end: sequence.nextTokenIndex }]);
    const d = await llamaFirst(promptB.slice(PREFIX_TOKENS));
    if (rep === 0) continue; // warm-up
    samples.oursA.push(a);
    samples.oursB.push(b);
    samples.llamaA.push(c);
    samples.llamaB.push(d);
  }
  await llama.context.dispose();
  return [
    { engine: "ours", uncached: median(samples.oursA), cached: median(samples.oursB), computed },
    {
      engine: "node-llama-cpp",
      uncached: median(samples.llamaA),
      cached: median(samples.llamaB),
      computed: `A ${PREFIX_TOKENS + SUFFIX_TOKENS}, B ${SUFFIX_TOKENS} (erase after the prefix, evaluate the suffix)`,
    },
  ];
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(" ");
console.log(`Machine: ${describeMachine()}`);
console.log(`Load average at start: ${load()} (other work on the machine skews every engine, llama.cpp's spinning threads most)`);
console.log(
  `Threads: ${threads} for both engines; ${reps} repetition(s) after one warm-up (medians), engines interleaved; prompts ${PROMPT_TOKENS} seeded random tokens per stream; max batched tokens ${BATCH_TOKENS} (llama.cpp batchSize ${BATCH_TOKENS}), flash attention off\n`,
);

const llama: Llama = await getLlama({ gpu: false, build: "never" });
const decodeLines: string[] = [];
const ttftLines: string[] = [];
const stepLines: string[] = [];
for (const preset of presets) {
  for (const dtype of dtypes) {
    const path = modelPath(preset, dtype);
    const perStream = decodeTokens(preset);
    const ours = loadOurs(path);
    const llamaModel = await llama.loadModel({ modelPath: path });
    const started = performance.now();
    // The addon can be missing (being rebuilt): the TypeScript kernels are an order of magnitude slower, so say which ran.
    console.log(`${preset} ${dtype}: our kernels ${ours.model.kernels.name}, ${ours.model.threads} thread(s); load average before: ${load()}`);
    const rows = await decodeSection(ours, llamaModel, perStream);
    const single = rows[0];
    for (const row of rows) {
      decodeLines.push(
        `| ${preset} | ${dtype} | ${row.streams} | ${perStream} | ${row.ours.toFixed(1)} | ${(row.ours / single.ours).toFixed(2)}x | ${row.llama.toFixed(1)} | ${(row.llama / single.llama).toFixed(2)}x | ${(row.ours / row.llama).toFixed(2)}x | ${row.oursSpread.toFixed(1)} / ${row.llamaSpread.toFixed(1)} | ${row.lossless} | ${row.agreeLlama} |`,
      );
    }
    const profile = stepProfile(ours);
    for (const row of profile) {
      stepLines.push(
        `| ${preset} | ${dtype} | ${row.streams} | ${row.stepMs.toFixed(2)} | ${(row.stepMs / row.streams).toFixed(2)} | ${((row.streams * profile[0].stepMs) / row.stepMs).toFixed(2)}x |`,
      );
    }
    const ttft = await ttftSection(ours, llamaModel);
    const [oursRow, llamaRow] = ttft;
    for (const row of ttft) {
      ttftLines.push(
        `| ${preset} | ${dtype} | ${row.engine} | ${row.uncached.toFixed(1)} | ${row.cached.toFixed(1)} | ${(row.uncached / row.cached).toFixed(1)}x | ${row.computed} |`,
      );
    }
    ttftLines.push(
      `| ${preset} | ${dtype} | ours vs llama.cpp (time ratio, <1 = ours faster) | ${(oursRow.uncached / llamaRow.uncached).toFixed(2)}x | ${(oursRow.cached / llamaRow.cached).toFixed(2)}x | | |`,
    );
    console.log(`${preset} ${dtype}: ${((performance.now() - started) / 1000).toFixed(0)} s; load average after: ${load()}`);
    await llamaModel.dispose();
    ours.model.close();
  }
}

console.log(
  "Aggregate decode tok/s, N concurrent streams (N·G decode tokens / (last token − time every stream had its first token)); `lossless` = streams (all repetitions and the warm-up) whose tokens equal the same prompt run alone with batching and prefix caching off; `first-token spread` = time between the first and the last stream's first token (0 when all prompts ran in one step); `= llama.cpp` = streams with the same greedy tokens as llama.cpp (warm-up run; information only)\n",
);
console.log("| model | dtype | streams N | G tokens/stream | ours tok/s | ours vs 1 stream | llama.cpp tok/s | llama.cpp vs 1 stream | ours / llama.cpp | first-token spread ms, ours / llama.cpp | lossless | = llama.cpp |");
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const line of decodeLines) console.log(line);
console.log("\nOurs without the queue: one model step (forwardSegments) computing N decode tokens of N sequences (median of 9 steps); the speed-up a step gives over N single-token steps bounds what batching can give\n");
console.log("| model | dtype | N | step ms | ms per token | N single steps / one N-token step |");
console.log("|---|---|---:|---:|---:|---:|");
for (const line of stepLines) console.log(line);
console.log(
  `\nTime to first token (ms) of a ${PREFIX_TOKENS + SUFFIX_TOKENS}-token prompt: uncached (request A, empty cache) vs its ${PREFIX_TOKENS}-token prefix cached (request B, new ${SUFFIX_TOKENS}-token suffix); max 1 token\n`,
);
console.log("| model | dtype | engine | TTFT uncached ms | TTFT cached ms | uncached / cached | tokens computed |");
console.log("|---|---|---|---:|---:|---:|---|");
for (const line of ttftLines) console.log(line);
console.log(`\nLoad average at end: ${load()}`);
