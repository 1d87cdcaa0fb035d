/**
 * Every codemod over the Python standard library, the largest body of real Python on the machine.
 * Slow (a minute or two on two cores), so it runs only with PYAGENT_STDLIB_SWEEP=1:
 *   PYAGENT_STDLIB_SWEEP=1 npx vitest run src/python/codemods/stdlib-sweep.test.ts
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { createPythonParser } from "../parse/parser.js";
import { moveImportsIntoFunctions, removeDeadCode, removeUnusedImports, removeUnusedVariables, splitModule, type CodemodResult } from "./index.js";
import { PYTHON } from "./test-support.js";

const STDLIB = process.env.PYAGENT_STDLIB ?? "/usr/lib/python3.11";
const enabled = process.env.PYAGENT_STDLIB_SWEEP === "1";

let parser: Parser;
const scratch = mkdtempSync(join(tmpdir(), "pyagent-sweep-"));
beforeAll(async () => {
  parser = await createPythonParser();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function stdlibFiles(): string[] {
  return (readdirSync(STDLIB, { recursive: true }) as string[]).filter((path) => path.endsWith(".py") && !/site-packages|dist-packages|(^|\/)test\/|lib2to3\/tests\/data/.test(path)).sort();
}

describe.skipIf(!enabled)("codemods over the standard library (PYAGENT_STDLIB_SWEEP=1)", () => {
  it("every output parses, compiles with python3, and a second run changes nothing", () => {
    const codemods: Record<string, (parser: Parser, source: string) => CodemodResult> = {
      imports: (p, source) => removeUnusedImports(p, source),
      variables: (p, source) => removeUnusedVariables(p, source),
      dead: (p, source) => removeDeadCode(p, source),
      lazy: (p, source) => moveImportsIntoFunctions(p, source),
    };
    const outputs: string[] = [];
    const summary: Record<string, { files: number; changes: number; milliseconds: number }> = {};
    for (const [name, codemod] of Object.entries(codemods)) {
      const stats = { files: 0, changes: 0, milliseconds: 0 };
      for (const path of stdlibFiles()) {
        const source = readFileSync(join(STDLIB, path), "utf8");
        const started = performance.now();
        const result = codemod(parser, source);
        stats.milliseconds += performance.now() - started;
        if (result.changes.length === 0) continue;
        stats.files++;
        stats.changes += result.changes.length;
        expect(codemod(parser, result.source).source, `${name} on ${path} twice`).toBe(result.source);
        const output = join(scratch, name, path.replace(/\//g, "__"));
        mkdirSync(dirname(output), { recursive: true });
        writeFileSync(output, result.source);
        outputs.push(output);
      }
      summary[name] = { ...stats, milliseconds: Math.round(stats.milliseconds) };
    }
    const compile = "import sys\nbad = [p for p in sys.argv[1:] if not compile(open(p, encoding='utf-8').read(), p, 'exec')]\nprint(len(sys.argv) - 1)";
    expect(execFileSync(PYTHON, ["-c", compile, ...outputs], { encoding: "utf8" }).trim()).toBe(String(outputs.length));
    console.log(`codemods over ${stdlibFiles().length} stdlib files:`, summary);
  });

  it("splits every stdlib module over 500 lines it does not refuse, keeping every public name importable and every global resolved", () => {
    const probe = [
      "import ast, importlib, json, sys",
      "module = importlib.import_module(sys.argv[1])",
      "def tops(nodes):",
      "    for node in nodes:",
      "        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): continue",
      "        yield node",
      "        yield from tops(ast.iter_child_nodes(node))",
      "tree = ast.parse(open(sys.argv[2]).read())",
      "imported = {a.asname or a.name.split('.')[0] for n in tops(tree.body) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}",
      "print(json.dumps(sorted([n, type(v).__name__] for n, v in vars(module).items() if not n.startswith('_') and n not in imported)))",
    ].join("\n");
    const unresolved = [
      "import builtins, json, symtable, sys",
      "def reads(table, out):",
      "    for symbol in table.get_symbols():",
      "        if symbol.is_referenced() and (table.get_type() == 'module' or symbol.is_global()): out.add(symbol.get_name())",
      "    for child in table.get_children(): reads(child, out)",
      "    return out",
      "def missing(path):",
      "    table = symtable.symtable(open(path).read(), path, 'exec')",
      "    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}",
      "    return reads(table, set()) - bound - set(dir(builtins)) - {'__file__', '__name__', '__doc__', '__spec__', '__loader__', '__path__'}",
      "baseline = missing(sys.argv[1])",
      "print(json.dumps({p: sorted(missing(p) - baseline) for p in sys.argv[2:] if missing(p) - baseline}))",
    ].join("\n");
    let split = 0;
    let refused = 0;
    let parts = 0;
    for (const file of readdirSync(STDLIB).filter((name) => name.endsWith(".py") && !name.startsWith("_")).sort()) {
      const source = readFileSync(join(STDLIB, file), "utf8");
      if (source.split("\n").length <= 500) continue;
      const module = file.replace(/\.py$/, "");
      const root = join(scratch, "split", module);
      mkdirSync(join(root, "pkgx"), { recursive: true });
      writeFileSync(join(root, "pkgx/__init__.py"), "");
      writeFileSync(join(root, `pkgx/${file}`), source);
      writeFileSync(join(root, "original.py"), source);
      let before: string;
      try {
        before = execFileSync(PYTHON, ["-c", probe, `pkgx.${module}`, "original.py"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch {
        continue; // does not import here (another platform's module)
      }
      const result = splitModule(parser, source, { path: `pkgx/${file}`, module: `pkgx.${module}`, maxLines: 500 });
      if (result.state === "refused") {
        refused++;
        continue;
      }
      split++;
      parts += result.parts.length;
      for (const edit of result.files) {
        if (edit.content === null) unlinkSync(join(root, edit.path));
        else {
          mkdirSync(dirname(join(root, edit.path)), { recursive: true });
          writeFileSync(join(root, edit.path), edit.content);
        }
      }
      const after = execFileSync(PYTHON, ["-c", probe, `pkgx.${module}`, "original.py"], { cwd: root, encoding: "utf8" });
      // Every public name keeps its kind of value; the package also gains its parts as attributes.
      expect(JSON.parse(after), `public names of ${module}`).toEqual(expect.arrayContaining(JSON.parse(before) as unknown[]));
      const written = result.files.filter((edit) => edit.content !== null).map((edit) => edit.path);
      expect(JSON.parse(execFileSync(PYTHON, ["-c", unresolved, "original.py", ...written], { cwd: root, encoding: "utf8" })), `globals of ${module}`).toEqual({});
    }
    expect(split).toBeGreaterThan(20);
    console.log(`split ${split} stdlib modules into ${parts} parts; refused ${refused}`);
  });
});
