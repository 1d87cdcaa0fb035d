import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const created: string[] = [];

/** A temp folder that `removeTempDirs` deletes after the file's tests. */
export function tempDir(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  created.push(path);
  return path;
}

/** Deletes every folder this file's tests made (call from afterAll). */
export function removeTempDirs(): void {
  for (const path of created.splice(0)) rmSync(path, { recursive: true, force: true });
}

/** git in `cwd`, synchronously; returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, LC_ALL: "C" } }).trim();
}

/** A file's exact content at `rev` (no trimming). */
export function showFile(cwd: string, rev: string, path: string): string {
  return execFileSync("git", ["show", `${rev}:${path}`], { cwd, encoding: "utf8" });
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** A fresh git repository on branch `main` with `files` in one commit (none when `files` is empty). */
export function makeRepo(files: Record<string, string>, options: { prefix?: string; commit?: boolean } = {}): string {
  const root = tempDir(options.prefix ?? "pyagent-fleet-");
  git(root, "init", "-q", "-b", "main");
  git(root, "config", "user.name", "Test User");
  git(root, "config", "user.email", "test@example.com");
  writeFiles(root, files);
  if (options.commit !== false && Object.keys(files).length > 0) {
    git(root, "add", "-A");
    git(root, "commit", "-q", "-m", "initial");
  }
  return root;
}

/** The interpreter with pytest (Debian's python3-pytest is installed for /usr/bin/python3). */
export const PYTHON = spawnSync("/usr/bin/python3", ["-m", "pytest", "--version"]).status === 0 ? "/usr/bin/python3" : "python3";

/** Runs pytest on `commit` of the repo in a throwaway export; true when it passes. */
export function pytestPassesAt(root: string, commit: string): { passed: boolean; output: string } {
  const scratch = tempDir("pyagent-export-");
  execFileSync("sh", ["-c", 'git archive "$1" | tar -x -C "$2"', "sh", commit, scratch], { cwd: root });
  const result = spawnSync(PYTHON, ["-m", "pytest", "-q", "-p", "no:cacheprovider"], { cwd: scratch, encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
  return { passed: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** What a user would see: `git status` lines, worktrees and branches. */
export function userView(root: string) {
  return {
    status: git(root, "status", "--porcelain", "--untracked-files=all"),
    worktrees: git(root, "worktree", "list", "--porcelain").split("\n").filter((line) => line.startsWith("worktree ")).length,
    branches: git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads").split("\n").filter(Boolean).sort(),
  };
}

/** A small package with unused imports, unreachable code and a passing test suite. */
export const FIXTURE: Record<string, string> = {
  "pkg/__init__.py": "",
  "pkg/core.py": [
    "import os",
    "import sys",
    "",
    "",
    "def total(items):",
    "    result = 0",
    "    for item in items:",
    "        result += item",
    "    return result",
    '    print("never")',
    "",
    "",
    "def name():",
    '    return "core"',
    "",
  ].join("\n"),
  "pkg/util.py": ["import re", "import json", "", "", "def shout(text):", "    return text.upper()", ""].join("\n"),
  "tests/test_pkg.py": [
    "from pkg.core import total, name",
    "from pkg.util import shout",
    "",
    "",
    "def test_total():",
    "    assert total([1, 2, 3]) == 6",
    "",
    "",
    "def test_names():",
    '    assert name() == "core"',
    '    assert shout("a") == "A"',
    "",
  ].join("\n"),
};
