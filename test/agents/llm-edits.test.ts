import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyBlock, confinePath, definitionsOf, editsFromReply, loadPrompt, MAX_NEW_FILE_LINES, parseEditBlocks, PromptFileError, renderPrompt } from "../../src/agents/llm/index.js";
import { block } from "./llm-support.js";

const FILE = "def f(x):\n    if x:\n        return 1\n    return 2\n\n\ndef g():\n    return 3\n";
const read = (files: Record<string, string>) => (path: string) => files[path];
const scratch = mkdtempSync(join(tmpdir(), "pyagent-prompts-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("search/replace edit blocks", () => {
  it("parses blocks with the path on the line before, inside fences and prose", () => {
    const reply = `Here you go:\n\`\`\`python\n${block("pkg/a.py", "old", "new")}\`\`\`\nand\n**pkg/b.py**\n<<<<<<< SEARCH\n=======\nx = 1\n>>>>>>> REPLACE\n<<<<<<< SEARCH\nunterminated`;
    expect(parseEditBlocks(reply)).toEqual([
      { path: "pkg/a.py", search: "old", replace: "new" },
      { path: "pkg/b.py", search: "", replace: "x = 1" },
    ]);
  });

  it("matches exactly, then despite trailing whitespace, then despite an indentation shift (re-indenting the replacement)", () => {
    expect(applyBlock(FILE, { path: "a.py", search: "    return 2", replace: "    return 0" })).toEqual({ ok: true, content: FILE.replace("return 2", "return 0") });
    expect(applyBlock(FILE, { path: "a.py", search: "def g():   \n    return 3  ", replace: "def g():\n    return 4" })).toEqual({ ok: true, content: FILE.replace("return 3", "return 4") });
    const shifted = applyBlock(FILE, { path: "a.py", search: "if x:\n    return 1", replace: "if x:\n    return 10\nreturn 2" });
    expect(shifted).toEqual({ ok: true, content: FILE.replace("        return 1\n    return 2", "        return 10\n    return 2\n    return 2") });
  });

  it("refuses a miss, an ambiguous match and a whole-file rewrite with a message fit for a retry prompt", () => {
    expect(applyBlock(FILE, { path: "a.py", search: "return 9", replace: "" })).toMatchObject({ ok: false, problem: expect.stringContaining("a.py: SEARCH does not match the current file") });
    expect(applyBlock(FILE, { path: "a.py", search: "    return", replace: "" })).toMatchObject({ ok: false, problem: expect.stringContaining("matches 3 places") });
    expect(applyBlock(FILE, { path: "a.py", search: "", replace: "x = 1" })).toMatchObject({ ok: false, problem: expect.stringContaining("whole-file rewrite is not allowed") });
  });
});

describe("paths a model writes are confined to the task's files", () => {
  it.each([
    ["/etc/passwd", "absolute paths"],
    ["C:/x.py", "absolute paths"],
    ["~/x.py", "absolute paths"],
    ["pkg/../../x.py", "'..'"],
    [".git/hooks/pre-commit", ".git is not editable"],
    ["pkg/other.py", "this task may only edit pkg/a.py, .git/hooks/pre-commit"],
    ["pkg\\a.py", "invalid characters"],
  ])("refuses %s", (path, problem) => {
    // Even a .git path a (confused) plan listed is refused.
    const confined = confinePath(path, ["pkg/a.py", ".git/hooks/pre-commit"]);
    expect(confined).toMatchObject({ ok: false, problem: expect.stringContaining(problem) });
  });

  it("accepts the task's file, also written as ./path", () => {
    expect(confinePath("./pkg/a.py", ["pkg/a.py"])).toEqual({ ok: true, path: "pkg/a.py" });
  });

  it("creates a new file only with an empty SEARCH and within the size limit, and reports every bad block at once", () => {
    expect(editsFromReply(block("tests/test_a.py", "", "def test_a():\n    assert True"), ["tests/test_a.py"], read({}))).toEqual({ ok: true, edits: [{ path: "tests/test_a.py", content: "def test_a():\n    assert True\n" }] });
    const big = "x = 1\n".repeat(MAX_NEW_FILE_LINES + 1);
    expect(editsFromReply(block("tests/test_a.py", "", big), ["tests/test_a.py"], read({}))).toMatchObject({ ok: false, problems: [expect.stringContaining("at most 400 lines")] });
    const reply = `${block("/tmp/x.py", "", "x")}\n${block("a.py", "nothing like this", "y")}`;
    expect(editsFromReply(reply, ["a.py"], read({ "a.py": FILE }))).toMatchObject({ ok: false, problems: [expect.stringContaining("refused path /tmp/x.py"), expect.stringContaining("does not match")] });
    expect(editsFromReply("I would rather run rm -rf /", ["a.py"], read({ "a.py": FILE }))).toMatchObject({ ok: false, problems: [expect.stringContaining("no search/replace blocks")] });
  });

  it("applies several blocks to one file in order", () => {
    const reply = `${block("a.py", "    return 1", "    return 11")}\n${block("a.py", "    return 11\n    return 2", "    return 11\n    return 22")}`;
    expect(editsFromReply(reply, ["a.py"], read({ "a.py": FILE }))).toEqual({ ok: true, edits: [{ path: "a.py", content: FILE.replace("return 1\n", "return 11\n").replace("return 2", "return 22") }] });
  });
});

describe("versioned prompt files", () => {
  it("loads every agent's prompt with its version, and never expands placeholders found in repository text", () => {
    for (const name of ["director", "refactor", "docstrings", "type-hints", "tests", "reviewer", "reflexion", "plan", "act", "edit-format"]) expect(loadPrompt(name).id).toBe(`${name}.v1`);
    const text = renderPrompt(loadPrompt("act"), { plan: "step {{plan}} and {{goal}}" });
    expect(text).toContain("step {{plan}} and {{goal}}");
    expect(() => renderPrompt(loadPrompt("act"), {})).toThrow(PromptFileError);
  });

  it("refuses a file whose front matter disagrees with its name", () => {
    writeFileSync(join(scratch, "refactor.v2.md"), "---\nname: refactor\nversion: 1\n---\nbody\n");
    expect(() => loadPrompt("refactor", 2, scratch)).toThrow(/expected refactor v2/);
  });
});

describe("what the LLM agents plan from", () => {
  it("finds definitions without docstrings and signatures without return annotations", () => {
    const source = 'def a(x):\n    """Doc."""\n    return x\n\n\ndef b(\n    y,\n) -> int:\n    return y\n\n\nclass C:\n    def m(self):\n        pass\n';
    expect(definitionsOf(source).map((item) => [item.name, item.hasDocstring, item.signature.includes("->")])).toEqual([
      ["a", true, false],
      ["b", false, true],
      ["C", false, false],
      ["m", false, false],
    ]);
  });
});
