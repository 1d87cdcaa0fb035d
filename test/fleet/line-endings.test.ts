import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RawMetrics } from "../../src/python/index.js";
import { runCli } from "../helpers/cli.js";
import { FIXTURE, makeRepo, PYTHON, pytestPassesAt, removeTempDirs, showFile, tempDir, writeFiles } from "./repo.js";

afterAll(removeTempDirs);

const MODULE = [
  "import os",
  "",
  "def f(x):",
  "    if x:",
  "        return 1",
  "    return 2",
  "",
  "",
  "class A:",
  "    def m(self):",
  "        for i in range(3):",
  "            if i:",
  "                pass",
  "        return os.sep",
  "",
].join("\n");

/** The lines of `text` ended by \r, \r\n and \n in turn; a line before an empty one never ends with a lone \r (\r then \n would be one CRLF). */
function mixedEndings(text: string): string {
  const lines = text.split("\n");
  return lines
    .map((line, index) => {
      if (index === lines.length - 1) return line;
      const ending = ["\r", "\r\n", "\n"][index % 3]!;
      return line + (ending === "\r" && lines[index + 1] === "" ? "\r\n" : ending);
    })
    .join("");
}

/** radon's JSON for `radon <command> -j file` (radon is the reference the metrics are built to match). */
function radon(command: "raw" | "cc", file: string): Record<string, unknown> {
  const result = spawnSync("radon", [command, "-j", file], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`radon ${command} failed: ${result.stderr}`);
  return JSON.parse(result.stdout)[file.split("/").pop()!] ?? JSON.parse(result.stdout)[file];
}

/** A file of `analyze --format json`: its raw metrics and functions. */
interface AnalyzedFileJson extends RawMetrics {
  path: string;
  functions: Array<{ name: string; kind: string; line: number; endLine: number; complexity: number }>;
}

describe("files with CR-only or mixed line endings (Python accepts \\r, \\n and \\r\\n)", () => {
  for (const [name, source] of [
    ["CR-only", MODULE.replace(/\n/g, "\r")],
    ["mixed CR, LF and CRLF", mixedEndings(MODULE)],
  ] as const) {
    it(`analyze parses a ${name} file with Python's line numbers and radon's metrics`, async () => {
      const root = tempDir("pyagent-cr-");
      writeFiles(root, { "mod.py": source });
      const compiles = spawnSync(PYTHON, ["-c", "import ast, sys; ast.parse(open(sys.argv[1], 'rb').read())", join(root, "mod.py")]);
      expect(compiles.status, "Python itself accepts the file").toBe(0);

      const result = await runCli("analyze", root, "--format", "json", "--no-cache");
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as { errors: unknown[]; files: AnalyzedFileJson[] };
      expect(report.errors).toEqual([]);
      const [file] = report.files;
      const raw = radon("raw", join(root, "mod.py")) as Record<string, number>;
      expect({ loc: file!.loc, lloc: file!.lloc, sloc: file!.sloc, comments: file!.comments, multi: file!.multi, blank: file!.blank, singleComments: file!.singleComments }).toEqual({
        loc: raw.loc,
        lloc: raw.lloc,
        sloc: raw.sloc,
        comments: raw.comments,
        multi: raw.multi,
        blank: raw.blank,
        singleComments: raw.single_comments,
      });
      const blocks = radon("cc", join(root, "mod.py")) as unknown as Array<{ name: string; classname?: string; lineno: number; endline: number; complexity: number }>;
      const expected = blocks.map((block) => ({ name: block.classname ? `${block.classname}.${block.name}` : block.name, line: block.lineno, endLine: block.endline, complexity: block.complexity }));
      const unique = [...new Map(expected.map((block) => [block.name, block])).values()].sort((a, b) => a.line - b.line);
      expect(file!.functions.map(({ name, line, endLine, complexity }) => ({ name, line, endLine, complexity })).sort((a, b) => a.line - b.line)).toEqual(unique);
      expect(unique.find((block) => block.name === "A.m")).toMatchObject({ line: 10, endLine: 14 });
    });
  }

  it("improve removes an unused import from a CR-only module and keeps its CR line endings", async () => {
    const crUtil = FIXTURE["pkg/util.py"]!.replace(/\n/g, "\r");
    const root = makeRepo({ ...FIXTURE, "pkg/util.py": crUtil });
    const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, "--jobs", "1", "--agents", "unused-imports");
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const util = report.tasks.find((task: { files: string[] }) => task.files[0] === "pkg/util.py");
    expect(util.state, util.reason).toBe("committed");
    const after = showFile(root, `pyagent/${report.id}`, "pkg/util.py");
    expect(after).toBe(crUtil.replace("import re\rimport json\r", "")); // as the codemod does to the LF file
    expect(after).not.toContain("\n");
    expect(pytestPassesAt(root, `pyagent/${report.id}`).passed).toBe(true);
  }, 120_000);

  it("improve leaves a module that mixes CR and LF line endings unchanged and says why", async () => {
    const mixedUtil = FIXTURE["pkg/util.py"]!.replace("import re\n", "import re\r");
    const root = makeRepo({ ...FIXTURE, "pkg/util.py": mixedUtil });
    const result = await runCli("improve", root, "--format", "json", "--python", PYTHON, "--jobs", "1", "--agents", "unused-imports");
    expect(result.code, result.stderr).toBe(0);
    const util = JSON.parse(result.stdout).tasks.find((task: { files: string[] }) => task.files[0] === "pkg/util.py");
    expect(util.state).toBe("skipped");
    expect(util.reason).toBe("pkg/util.py mixes CR and LF line endings; left unchanged, since the edited lines' endings could not be kept");
  }, 120_000);
});
