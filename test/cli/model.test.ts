import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Command, CommanderError } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { isPyAgentError } from "../../src/core/index.js";
import { registerModelCommands } from "../../src/interface/cli/commands/model.js";
import { runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "pyagent-cli-model-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `pyagent model ...` on a fresh program, mapping errors to exit codes as main() does. */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (chunks: string[]) =>
    new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    });
  const stdout = sink(out);
  const stderr = sink(err);
  const program = new Command("pyagent")
    .exitOverride()
    .configureOutput({ writeOut: (text) => stdout.write(text), writeErr: (text) => stderr.write(text) });
  registerModelCommands(program);
  let code = 0;
  try {
    await program.parseAsync(["node", "pyagent", "model", ...args]);
  } catch (error) {
    if (error instanceof CommanderError) code = 2;
    else if (isPyAgentError(error)) {
      err.push(error.message);
      code = error.exitCode;
    } else throw error;
  }
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("pyagent model create / info", () => {
  it("creates a tiny model and describes it as text and JSON", async () => {
    const out = join(dir, "tiny.gguf");
    const created = await run("create", "--out", out, "--preset", "tiny", "--dtype", "q8_0", "--seed", "3");
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/wrote .*tiny\.gguf: tiny q8_0 seed 3, 226624 parameters/);
    const info = await run("info", out);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain("architecture llama: dim 64, 2 layers, 4 heads (2 kv, head dim 16), ffn 192");
    expect(info.stdout).toContain("tokenizer    llama, 1000 tokens");
    expect(info.stdout).toMatch(/memory .* KV cache/);
    const json = JSON.parse((await run("info", out, "--json")).stdout);
    expect(json).toMatchObject({ architecture: "llama", parameterCount: 226624, tokenizer: { kind: "llama", vocabSize: 1000 } });
    expect(json.tensorTypes.q8_0.tensors).toBe(16);
  });

  it("writes the context length --ctx-size asks for, and rejects one out of range", async () => {
    const out = join(dir, "long.gguf");
    expect((await run("create", "--out", out, "--preset", "tiny", "--ctx-size", "8192")).code).toBe(0);
    expect((await run("info", out)).stdout).toContain("context 8192");
    const bad = await run("create", "--out", join(dir, "short.gguf"), "--preset", "tiny", "--ctx-size", "8");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("context length must be an integer from 16 to 1048576");
    expect(existsSync(join(dir, "short.gguf"))).toBe(false);
  });

  it("rejects an unknown preset or dtype with exit code 2 and lists the choices", async () => {
    const preset = await run("create", "--out", join(dir, "x.gguf"), "--preset", "giant");
    expect(preset.code).toBe(2);
    expect(preset.stderr).toContain("tiny, tiny-bpe, tiny-qwen2, stories15m, stories110m");
    const dtype = await run("create", "--out", join(dir, "x.gguf"), "--preset", "tiny", "--dtype", "q5_k");
    expect(dtype.code).toBe(2);
    expect(dtype.stderr).toContain("f32, f16, q8_0, q4_0");
    expect((await run("create", "--out", join(dir, "x.gguf"), "--preset", "tiny", "--seed", "-1")).code).toBe(2);
    expect(existsSync(join(dir, "x.gguf"))).toBe(false);
  });

  it("never overwrites an existing file unless --force, and names a missing directory", async () => {
    const out = join(dir, "existing.gguf");
    writeFileSync(out, "precious");
    const refused = await run("create", "--out", out, "--preset", "tiny");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("already exists: pass --force");
    expect(readFileSync(out, "utf8")).toBe("precious");
    expect((await run("create", "--out", out, "--preset", "tiny", "--force")).code).toBe(0);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe("GGUF");
    const missing = await run("create", "--out", join(dir, "no", "such", "m.gguf"), "--preset", "tiny");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/output directory .*no[/\\]such does not exist/);
  });

  it("info on a missing or non-GGUF file fails with a clear message", async () => {
    expect((await run("info", join(dir, "absent.gguf"))).stderr).toContain("does not exist");
    const bad = join(dir, "bad.gguf");
    writeFileSync(bad, "this is not a model file at all");
    const result = await run("info", bad);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("not a GGUF file");
  });
});

describe("pyagent model through main()", () => {
  it("creates and describes a model, and maps bad input to exit code 2 with one line", async () => {
    const out = join(dir, "main.gguf");
    const created = await runCli("model", "create", "--out", out, "--preset", "tiny-qwen2", "--dtype", "q4_0", "--seed", "9");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("tiny-qwen2 q4_0 seed 9");
    const info = await runCli("model", "info", out, "--json");
    expect(JSON.parse(info.stdout)).toMatchObject({ architecture: "qwen2", attentionBias: true, tiedOutput: true });
    const bad = await runCli("model", "create", "--out", out, "--preset", "tiny", "--dtype", "q3");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('pyagent: unknown dtype "q3": choose one of f32, f16, q8_0, q4_0\n');
  });
});
