import { existsSync } from "node:fs";
import type { Command } from "commander";
import { UsageError } from "../../../core/index.js";
import {
  MODEL_DTYPES,
  PRESETS,
  PRESET_NAMES,
  checkDtype,
  createModelFile,
  describeModelFile,
  getPreset,
} from "../../../engine/model-file/index.js";

interface CreateFlags {
  out: string;
  preset: string;
  dtype: string;
  seed: string;
  force?: boolean;
  ctxSize?: string;
}

/** `pyagent model create` and `pyagent model info`. Output goes through the program's configured writers. */
export function registerModelCommands(program: Command): void {
  const model = program.command("model").description("create and inspect GGUF model files");

  model
    .command("create")
    .description("write a complete GGUF model with random weights and a trained tokenizer (loads in llama.cpp)")
    .requiredOption("--out <file>", "the .gguf file to write")
    .requiredOption("--preset <name>", `model shape: ${PRESET_NAMES.join(", ")}`)
    .option("--dtype <type>", `weight type of the matrices: ${MODEL_DTYPES.join(", ")}`, "f32")
    .option("--seed <n>", "random seed; the same seed writes the same bytes", "0")
    .option("--force", "replace the file if it exists")
    .option("--ctx-size <n>", "context length to write instead of the preset's")
    .action(function (this: Command, flags: CreateFlags) {
      const preset = getPreset(flags.preset).name;
      const dtype = checkDtype(flags.dtype);
      if (!/^\d+$/.test(flags.seed) || Number(flags.seed) > 0xffffffff) {
        throw new UsageError(`--seed must be an integer from 0 to 4294967295, got "${flags.seed}"`);
      }
      if (flags.ctxSize !== undefined && !/^\d+$/.test(flags.ctxSize)) {
        throw new UsageError(`--ctx-size must be a positive integer, got "${flags.ctxSize}"`);
      }
      const started = performance.now();
      const output = this.configureOutput();
      // Progress only on a terminal: one line rewritten in place, cleared when done.
      const showProgress = process.stderr.isTTY === true;
      createModelFile({
        out: flags.out,
        preset,
        dtype,
        seed: Number(flags.seed),
        force: flags.force ?? false,
        contextLength: flags.ctxSize === undefined ? undefined : Number(flags.ctxSize),
        onProgress: showProgress
          ? (written, total) => output.writeErr?.(`\rcreating ${preset} ${dtype}: ${Math.floor((written / total) * 100)}%`)
          : undefined,
      });
      if (showProgress) output.writeErr?.("\r\x1b[K");
      const description = describeModelFile(flags.out);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const megabytes = (description.fileSize / 2 ** 20).toFixed(1);
      output.writeOut?.(
        `wrote ${flags.out}: ${preset} ${dtype} seed ${flags.seed}, ${description.parameterCount} parameters, ${megabytes} MiB in ${seconds} s\n`,
      );
    });

  model
    .command("info")
    .description("print a model file's architecture, sizes, tensor types, tokenizer and memory needed")
    .argument("<file>", "GGUF model file")
    .option("--json", "print JSON instead of text")
    .action(function (this: Command, file: string, flags: { json?: boolean }) {
      if (!existsSync(file)) throw new UsageError(`model file ${file} does not exist`);
      const description = describeModelFile(file);
      const text = flags.json ? JSON.stringify(description, null, 2) : description.toText();
      this.configureOutput().writeOut?.(`${text}\n`);
    });

  model
    .command("presets")
    .description("list the presets `model create` knows")
    .action(function (this: Command) {
      const lines = PRESET_NAMES.map((name) => `${name.padEnd(12)} ${PRESETS[name].description}`);
      this.configureOutput().writeOut?.(`${lines.join("\n")}\n`);
    });
}
