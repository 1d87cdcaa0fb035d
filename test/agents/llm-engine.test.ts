import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderChat } from "../../src/engine/chat/index.js";
import { createModelFile } from "../../src/engine/model-file/index.js";
import { type LoadedModel, loadModel } from "../../src/engine/runtime/index.js";
import { type EngineServer, createEngineServer } from "../../src/engine/server/index.js";
import { loadTokenizer } from "../../src/engine/tokenizer/index.js";
import { runCli } from "../helpers/cli.js";
import { auditRecords, git, makeRepo, removeTempDirs, tempDir } from "./llm-support.js";

let model: LoadedModel;
let server: EngineServer;
let url: string;

beforeAll(async () => {
  const path = join(tempDir("pyagent-llm-engine-"), "tiny.gguf");
  // A tiny model with a context long enough for the agents' real prompts (the preset's is 256 tokens).
  createModelFile({ out: path, preset: "tiny", dtype: "f32", seed: 7, contextLength: 8192 });
  model = loadModel(path, { threads: 1 });
  const tokenizer = loadTokenizer(model.file);
  server = createEngineServer({ model, tokenizer, modelId: "tiny", renderChat: (messages) => renderChat(model.file, messages, { addGenerationPrompt: true }) });
  url = `${await server.listen(0)}/v1`;
});

afterAll(async () => {
  await server?.close();
  model?.close();
  removeTempDirs();
});

describe("pyagent improve against PyAgent's own engine server (tiny model)", () => {
  it("completes end to end over real HTTP; the tiny model's nonsense edits fail cleanly and the report says why", { timeout: 60_000 }, async () => {
    const root = makeRepo({
      "pkg/__init__.py": "",
      "pkg/text.py": "def shout(text):\n    return text.upper()\n",
      "tests/test_text.py": "from pkg.text import shout\n\n\ndef test_shout():\n    assert shout('a') == 'A'\n",
    });
    const result = await runCli("improve", root, "--model", url, "--agents", "docstrings,unused-imports", "--max-output-tokens", "12", "--retries", "1", "--no-cache", "--no-progress", "-j", "1", "--python", "/usr/bin/python3");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/run [\w-]+: 0 committed on pyagent\/[\w-]+, 1 failed the proof/);
    expect(result.stdout).toMatch(/failed +docs\(pkg.text\): add docstrings +\(the model's edits could not be applied: the reply has no search\/replace blocks/);
    expect(result.stdout).toContain("model spend per agent:");
    expect(result.stdout).toMatch(/the director's plan was not used \(director: /);
    const reportPath = /report: (.+)\n/.exec(result.stdout)![1]!;
    const report = readFileSync(reportPath, "utf8");
    expect(report).toContain("docs(pkg.text): add docstrings");
    expect(report).toContain("after 2 attempts with reflexion");
    expect(report).toContain("## Models");
    // The model really answered: the agent's two attempts are in the run record with their replies;
    // the director's JSON never validated, so its call is recorded as failed, with its prompt.
    const runId = /^run ([\w-]+):/m.exec(result.stdout)![1]!;
    const records = auditRecords(root, runId);
    const calls = records.filter((record) => record.type === "model-call");
    expect(calls.map((record) => record.data.agent)).toEqual(["docstrings", "docstrings"]);
    const failed = records.filter((record) => record.type === "model-call-failed");
    expect(failed.map((record) => [record.data.agent, record.data.prompt])).toEqual([["director", "director.v1"]]);
    expect(String(failed[0]!.data.error)).toContain("gave no valid JSON for the schema after 3 attempts");
    expect(calls.every((record) => (record.data.usage as { outputTokens: number }).outputTokens > 0)).toBe(true);
    expect(git(root, "status", "--porcelain")).toBe("");
  });
});
