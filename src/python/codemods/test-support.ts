/** Helpers the codemod tests share: real tree-sitter parses and real `python3` compiles. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Parser } from "web-tree-sitter";
import { parsePython } from "../parse/parser.js";

export const PYTHON = process.env.PYAGENT_TEST_PYTHON ?? "/usr/bin/python3";

export function parsesCleanly(parser: Parser, source: string): boolean {
  const tree = parsePython(parser, source);
  try {
    return !tree.rootNode.hasError;
  } finally {
    tree.delete();
  }
}

/** Compiles `source` with the real interpreter (`python3 -m py_compile`); throws with Python's message when it does not compile. */
export function pyCompile(source: string): void {
  const directory = mkdtempSync(join(tmpdir(), "pyagent-codemod-"));
  try {
    const file = join(directory, "module.py");
    writeFileSync(file, source);
    execFileSync(PYTHON, ["-m", "py_compile", file], { stdio: "pipe" });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Runs `python3 -c code` with `cwd` on sys.path; returns stdout. */
export function runPython(cwd: string, code: string): string {
  return execFileSync(PYTHON, ["-c", code], { cwd, stdio: "pipe", encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
}

export function dedent(text: string): string {
  const lines = text.replace(/^\n/, "").split("\n");
  const indent = Math.min(...lines.filter((line) => line.trim()).map((line) => line.length - line.trimStart().length));
  return lines.map((line) => line.slice(indent)).join("\n");
}
