import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createModelFile } from "../../src/engine/model-file/index.js";

/**
 * A temp folder with a tiny generated model and an entry script that runs the CLI from the
 * sources (start it with `node --import tsx ENTRY ...`): engine CLI tests need no build.
 */
export function sourceCliWithModel(prefix: string): { directory: string; modelPath: string; entry: string } {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  const modelPath = join(directory, "tiny.gguf");
  createModelFile({ out: modelPath, preset: "tiny", dtype: "q8_0", seed: 2 });
  const entry = join(directory, "cli.mjs");
  const main = pathToFileURL(resolve(import.meta.dirname, "../../src/interface/cli/main.ts")).href;
  writeFileSync(entry, `import { main } from ${JSON.stringify(main)};\nprocess.exitCode = await main(process.argv);\n`);
  return { directory, modelPath, entry };
}
