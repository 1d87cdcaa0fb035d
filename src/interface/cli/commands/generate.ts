import { basename } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { UsageError } from "../../../core/index.js";
import { renderChat } from "../../../engine/chat/index.js";
import { GenerationAbortedError, generate } from "../../../engine/generate/index.js";
import { loadModel } from "../../../engine/runtime/index.js";
import { loadTokenizer } from "../../../engine/tokenizer/index.js";

const number = z.coerce.number().refine(Number.isFinite, "a number");
/** The flags as commander hands them over (strings), validated and converted once. */
const flagsSchema = z.object({
  model: z.string().min(1),
  prompt: z.string(),
  chat: z.boolean().optional(),
  maxTokens: z.coerce.number().int().min(1).default(128),
  temperature: number.min(0).default(0.8),
  seed: z.coerce.number().int().optional(),
  topK: z.coerce.number().int().min(0).default(40),
  topP: number.gt(0).max(1).default(0.95),
  minP: number.min(0).max(1).default(0.05),
  repeatPenalty: number.gt(0).default(1),
  presencePenalty: number.min(-2).max(2).default(0),
  frequencyPenalty: number.min(-2).max(2).default(0),
  stop: z.array(z.string()).default([]),
  threads: z.coerce.number().int().min(1).optional(),
  ctxSize: z.coerce.number().int().min(1).optional(),
  kernels: z.enum(["native", "js", "auto"]).default("auto"),
  stats: z.boolean().optional(),
});

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerGenerateCommand(program: Command): void {
  program
    .command("generate")
    .description("generate text with a local GGUF model, streaming it to standard output")
    .requiredOption("-m, --model <file>", "GGUF model file")
    .requiredOption("-p, --prompt <text>", "the prompt")
    .option("--chat", "send the prompt as a user message through the model's chat template")
    .option("-n, --max-tokens <n>", "most tokens to generate (default 128)")
    .option("-t, --temperature <t>", "0 = greedy (default 0.8)")
    .option("-s, --seed <n>", "same seed, same output")
    .option("--top-k <k>", "keep the k most likely tokens, 0 = off (default 40)")
    .option("--top-p <p>", "nucleus sampling mass, 1 = off (default 0.95)")
    .option("--min-p <p>", "drop tokens below p x the best token's probability (default 0.05)")
    .option("--repeat-penalty <x>", "repetition penalty, 1 = off (default 1)")
    .option("--presence-penalty <x>", "OpenAI presence penalty (default 0)")
    .option("--frequency-penalty <x>", "OpenAI frequency penalty (default 0)")
    .option("--stop <text>", "stop before this text (repeatable)", collect)
    .option("--threads <n>", "compute threads (default: picked from the machine)")
    .option("--ctx-size <n>", "context length (default: the model's)")
    .option("--kernels <kind>", "native, js or auto (default auto)")
    .option("--stats", "print prompt and decode speed to standard error")
    .action(async (raw: Record<string, unknown>) => {
      const parsed = flagsSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new UsageError(`invalid --${String(issue.path[0] ?? "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`);
      }
      await runGenerate(parsed.data);
    });
}

async function runGenerate(flags: z.infer<typeof flagsSchema>): Promise<void> {
  const model = loadModel(flags.model, { kernels: flags.kernels, threads: flags.threads, contextLength: flags.ctxSize });
  const controller = new AbortController();
  const onInterrupt = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onInterrupt);
  try {
    const tokenizer = loadTokenizer(model.file);
    const prompt = flags.chat ? renderChat(model.file, [{ role: "user", content: flags.prompt }], { addGenerationPrompt: true }) : flags.prompt;
    const started = performance.now();
    let firstTokenAt = 0;
    let tokens = 0;
    let promptTokens = 0;
    const events = generate(model, tokenizer, {
      prompt,
      parseSpecial: flags.chat ?? false,
      maxTokens: flags.maxTokens,
      stop: flags.stop,
      signal: controller.signal,
      sampling: {
        temperature: flags.temperature,
        seed: flags.seed,
        topK: flags.topK,
        topP: flags.topP,
        minP: flags.minP,
        repetitionPenalty: flags.repeatPenalty,
        presencePenalty: flags.presencePenalty,
        frequencyPenalty: flags.frequencyPenalty,
      },
    });
    try {
      for await (const event of events) {
        if (event.type === "text-delta") {
          if (firstTokenAt === 0) firstTokenAt = performance.now();
          process.stdout.write(event.text);
        } else {
          tokens = event.usage.completionTokens;
          promptTokens = event.usage.promptTokens;
        }
      }
    } catch (error) {
      if (!(error instanceof GenerationAbortedError)) throw error;
    }
    process.stdout.write("\n");
    if (flags.stats) {
      const ended = performance.now();
      const decodeSeconds = (ended - firstTokenAt) / 1000;
      process.stderr.write(
        `${basename(flags.model)}: ${promptTokens} prompt tokens in ${((firstTokenAt - started) / 1000).toFixed(3)} s, ` +
          `${tokens} tokens at ${tokens > 1 ? ((tokens - 1) / decodeSeconds).toFixed(1) : "-"} tok/s (${model.kernels.name} kernels, ${model.threads} threads)\n`,
      );
    }
  } finally {
    process.off("SIGINT", onInterrupt);
    model.close();
  }
}
