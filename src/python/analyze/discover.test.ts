import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { discoverPythonFiles } from "./discover.js";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "pyagent-discover-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const paths = (root: string, exclude: string[] = [], includeIgnored = false) =>
  discoverPythonFiles(root, { exclude, includeIgnored }).map((entry) => (entry.state === "file" ? entry.path : `ERROR ${entry.path}: ${entry.message}`));

describe("finding Python files", () => {
  it("lists .py files in sorted order with POSIX relative paths", () => {
    const root = tree({ "b.py": "", "a/x.py": "", "a/readme.md": "", "a/__init__.py": "" });
    expect(paths(root)).toEqual(["a/__init__.py", "a/x.py", "b.py"]);
  });

  it("skips .gitignore'd paths, nested .gitignore files included, unless asked not to", () => {
    const root = tree({ ".gitignore": "build/\n*_pb2.py\n", "build/gen.py": "", "api_pb2.py": "", "pkg/.gitignore": "local.py\n", "pkg/local.py": "", "pkg/mod.py": "" });
    expect(paths(root)).toEqual(["pkg/mod.py"]);
    expect(paths(root, [], true)).toEqual(["api_pb2.py", "build/gen.py", "pkg/local.py", "pkg/mod.py"]);
  });

  it("skips virtualenvs by their pyvenv.cfg whatever the folder is called, and tool caches", () => {
    const root = tree({ "myenv/pyvenv.cfg": "home = /usr/bin\n", "myenv/lib/site.py": "", ".venv/x.py": "", "__pycache__/y.py": "", ".tox/z.py": "", "app.py": "" });
    expect(paths(root)).toEqual(["app.py"]);
  });

  it("applies --exclude patterns", () => {
    const root = tree({ "migrations/0001.py": "", "app.py": "", "tests/test_app.py": "" });
    expect(paths(root, ["migrations/", "tests/*.py"])).toEqual(["app.py"]);
  });

  it("reports a symlink loop as an error and still lists the rest", () => {
    const root = tree({ "pkg/a.py": "" });
    symlinkSync(join(root, "pkg"), join(root, "pkg", "again"));
    symlinkSync("self-loop", join(root, "self-loop"));
    const result = paths(root);
    expect(result).toContain("pkg/a.py");
    expect(result.some((line) => line.startsWith("ERROR pkg/again: symlink loop"))).toBe(true);
    expect(result.some((line) => line.startsWith("ERROR self-loop: symlink loop"))).toBe(true);
  });

  it.skipIf(process.getuid?.() === 0)("reports an unreadable folder as an error (skipped as root: root reads everything)", () => {
    const root = tree({ "locked/a.py": "", "ok.py": "" });
    chmodSync(join(root, "locked"), 0o000);
    expect(paths(root)).toEqual(["ERROR locked: permission denied", "ok.py"]);
    chmodSync(join(root, "locked"), 0o755);
  });
});
