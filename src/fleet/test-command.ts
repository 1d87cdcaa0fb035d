import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, normalize } from "node:path";
import { parse as parseToml } from "smol-toml";
import { ConfigError, loadConfig } from "../core/index.js";
import { positionalArguments, shellCommands, testInvocation, type TestInvocation } from "./test-invocation.js";
import type { TestCommand } from "./types.js";

/**
 * Finds how a project runs its tests, where projects keep that: `[tool.pyagent] test-command`
 * (the user's word, first), tox, nox, the Makefile's `test` target, CI workflow steps, and last
 * pytest's own configuration. Static reading only: nothing found here is executed as written;
 * only a pytest or unittest invocation is adopted, as argv (see test-invocation.ts).
 */
export function findTestCommand(tree: string): Omit<TestCommand, "pythonPath"> | null {
  const configured = loadConfig(tree).testCommand;
  if (configured !== undefined) {
    const invocation = oneInvocation(configured);
    if (!invocation) {
      throw new ConfigError(
        `invalid tool.pyagent.test-command in pyproject.toml: expected a pytest or unittest command ('pytest ARGS', 'python -m pytest ARGS', 'python -m unittest ARGS'), got ${JSON.stringify(configured)}`,
        { key: "test-command" },
      );
    }
    return adopt(tree, invocation, "[tool.pyagent] test-command in pyproject.toml");
  }
  const sources: Array<() => { invocation: TestInvocation; source: string } | null> = [
    () => fromTox(tree),
    () => fromNox(tree),
    () => fromMakefile(tree),
    () => fromWorkflows(tree),
  ];
  for (const source of sources) {
    const found = source();
    if (found) return adopt(tree, found.invocation, found.source);
  }
  const configuredIn = pytestConfiguration(tree);
  return configuredIn ? { runner: "pytest", args: [], source: `pytest is configured in ${configuredIn}`, notes: [] } : null;
}

/** The first pytest/unittest invocation of a command line, or null. */
function oneInvocation(line: string): TestInvocation | null {
  for (const words of shellCommands(line) ?? []) {
    const found = testInvocation(words);
    if (found) return found;
  }
  return null;
}

/**
 * Test paths are kept when they stay inside the tree and exist (a tox path into site-packages
 * names the package, which a src layout keeps under src/); others are dropped and said so.
 */
function adopt(tree: string, invocation: TestInvocation, source: string): Omit<TestCommand, "pythonPath"> {
  const notes = invocation.dropped.map((word) => `dropped ${word}`);
  const args = [...invocation.args];
  const drop = new Set<number>();
  for (const position of positionalArguments(invocation)) {
    const word = args[position]!;
    const [path = "", ...node] = word.split("::");
    const clean = normalize(path).replace(/\/+$/, "") || ".";
    if (isAbsolute(clean) || clean.split("/").includes("..")) {
      drop.add(position);
      notes.push(`dropped ${word} (outside the repository)`);
    } else if (existsSync(join(tree, clean))) args[position] = [clean, ...node].join("::");
    else if (existsSync(join(tree, "src", clean))) args[position] = [`src/${clean}`, ...node].join("::");
    else {
      drop.add(position);
      notes.push(`dropped ${word} (not in the repository)`);
    }
  }
  return { runner: invocation.runner, args: args.filter((_, index) => !drop.has(index)), source, notes };
}

function read(tree: string, path: string): string | undefined {
  const file = join(tree, path);
  try {
    return statSync(file).isFile() && statSync(file).size < 1_000_000 ? readFileSync(file, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

function readToml(tree: string, path: string): Record<string, unknown> | undefined {
  const text = read(tree, path);
  if (text === undefined) return undefined;
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** INI sections as configparser reads them: `key = value`, indented lines continue the value. */
export function iniSections(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  let key: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(line) || line.trim() === "") continue;
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      section = new Map();
      sections.set(header[1]!.trim(), section);
      key = undefined;
    } else if (/^\s/.test(line) && section && key !== undefined) section.set(key, `${section.get(key)}\n${line.trim()}`);
    else if (section) {
      const pair = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
      if (pair) {
        key = pair[1]!.trim();
        section.set(key, pair[2]!.trim());
      }
    }
  }
  return sections;
}

/** tox's substitutions: paths of the tree, the package (installed from the tree), and positional args. */
function toxSubstitute(text: string): string {
  return text
    .replace(/\{posargs:([^}]*)\}/g, "$1")
    .replace(/\{posargs\}|\[\]/g, "")
    .replace(/\{(toxinidir|tox_root)\}\/?/g, "./")
    .replace(/\{(envsitepackagesdir|env_site_packages_dir)\}\/?/g, "./")
    .replace(/\{(envpython|env_python)\}/g, "python")
    .replace(/\{(envbindir|env_bin_dir)\}\//g, "");
}

/** A tox.ini command line: its substitutions, less the `-` (ignore the exit code) or `!` prefix. */
function toxLine(line: string): string {
  return toxSubstitute(line).replace(/^\s*[-!]\s*/, "");
}

/**
 * The invocation, unless an argument it keeps still holds a substitution only tox can fill
 * (`{env_tmp_dir}`); an option PyAgent drops anyway (`--basetemp={env_tmp_dir}`) does not count.
 */
function resolvedInvocation(invocation: TestInvocation | null): TestInvocation | null {
  return invocation && !invocation.args.some((word) => /\{[^}]*\}/.test(word)) ? invocation : null;
}

const NOT_TEST_ENV = /docs?|lint|style|format|type|mypy|flake|pylint|ruff|build|release|publish|bench|pre-commit|spell|manifest|package/i;

function fromToxSections(sections: Map<string, Map<string, string>>, file: string) {
  const names = [...sections.keys()].filter((name) => name === "testenv" || (name.startsWith("testenv:") && !NOT_TEST_ENV.test(name.slice(8))));
  names.sort((a, b) => (a === "testenv" ? -1 : b === "testenv" ? 1 : 0));
  for (const name of names) {
    const commands = sections.get(name)!.get("commands");
    if (commands === undefined) continue;
    for (const line of commands.replace(/\\\n/g, " ").split("\n")) {
      const invocation = resolvedInvocation(oneInvocation(toxLine(line)));
      if (invocation) return { invocation, source: `${file} [${name}] commands` };
    }
  }
  return null;
}

function fromTox(tree: string) {
  const toxIni = read(tree, "tox.ini");
  if (toxIni !== undefined) {
    const found = fromToxSections(iniSections(toxIni), "tox.ini");
    if (found) return found;
  }
  const setupCfg = read(tree, "setup.cfg");
  if (setupCfg !== undefined) {
    const found = fromToxSections(iniSections(setupCfg), "setup.cfg");
    if (found) return found;
  }
  const pyproject = readToml(tree, "pyproject.toml");
  const tox = (pyproject?.tool as Record<string, unknown> | undefined)?.tox as Record<string, unknown> | undefined;
  if (typeof tox?.legacy_tox_ini === "string") {
    const found = fromToxSections(iniSections(tox.legacy_tox_ini), "pyproject.toml [tool.tox] legacy_tox_ini");
    if (found) return found;
  }
  const native: Array<[Record<string, unknown> | undefined, string]> = [
    [tox?.env_run_base as Record<string, unknown> | undefined, "pyproject.toml [tool.tox.env_run_base] commands"],
    [readToml(tree, "tox.toml")?.env_run_base as Record<string, unknown> | undefined, "tox.toml [env_run_base] commands"],
  ];
  for (const [table, source] of native) {
    if (!Array.isArray(table?.commands)) continue;
    for (const command of table.commands) {
      if (!Array.isArray(command)) continue;
      // Each word is one argument: only tox's substitutions apply (a leading `-` is the option's own).
      const words = command.flatMap((word: unknown): string[] => {
        if (typeof word === "string") return [toxSubstitute(word)].filter(Boolean);
        const replace = word as { replace?: string; default?: unknown };
        return replace?.replace === "posargs" && Array.isArray(replace.default) ? replace.default.filter((item): item is string => typeof item === "string") : [];
      });
      const invocation = resolvedInvocation(testInvocation(words));
      if (invocation) return { invocation, source };
    }
  }
  return null;
}

/** `session.run("pytest", "--doctest-modules", *session.posargs)`: the literal arguments of the first test run. */
function fromNox(tree: string) {
  const text = read(tree, "noxfile.py");
  if (text === undefined) return null;
  for (const call of text.matchAll(/session\.run\(\s*((?:(?:"[^"\n]*"|'[^'\n]*')\s*,\s*)*(?:"[^"\n]*"|'[^'\n]*'))/g)) {
    const words = [...call[1]!.matchAll(/"([^"\n]*)"|'([^'\n]*)'/g)].map((literal) => literal[1] ?? literal[2] ?? "");
    const invocation = testInvocation(words);
    if (invocation) return { invocation, source: "noxfile.py session.run" };
  }
  return null;
}

/** The recipe of the Makefile's `test` (or `tests`, `check`) target, with make variables expanded where they are plain. */
function fromMakefile(tree: string) {
  const name = ["Makefile", "makefile", "GNUmakefile"].find((candidate) => read(tree, candidate) !== undefined);
  if (!name) return null;
  const lines = read(tree, name)!.split(/\r?\n/);
  const variables = new Map<string, string>();
  for (const line of lines) {
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)\s*[:?+]?=\s*(.*)$/.exec(line);
    if (assignment) variables.set(assignment[1]!, assignment[2]!.trim());
  }
  const expand = (text: string) =>
    text.replace(/\$\$/g, "$").replace(/\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]/g, (_, variable: string) => {
      if (/^PY(THON)?\d*$/i.test(variable)) return "python";
      const value = variables.get(variable) ?? "";
      return /^[\w./=-]*$/.test(value) ? value : "";
    });
  for (const target of ["test", "tests", "check"]) {
    const start = lines.findIndex((line) => new RegExp(`^${target}\\s*:(?!=)`).test(line));
    if (start < 0) continue;
    for (let index = start + 1; index < lines.length && lines[index]!.startsWith("\t"); index++) {
      const invocation = oneInvocation(expand(lines[index]!.trim().replace(/^[@+-]+/, "")));
      if (invocation) return { invocation, source: `${name} target ${target}` };
    }
  }
  return null;
}

/** `run:` steps of GitHub workflows (one-line or block), in file order. */
function fromWorkflows(tree: string) {
  const folder = join(tree, ".github", "workflows");
  if (!existsSync(folder)) return null;
  const files = readdirSync(folder).filter((file) => /\.ya?ml$/.test(file)).sort();
  for (const file of files) {
    const text = read(tree, join(".github", "workflows", file));
    if (text === undefined) continue;
    for (const script of runScripts(text)) {
      for (const line of script.replace(/\\\n/g, " ").replace(/\$\{\{[^}]*\}\}/g, "").split("\n")) {
        const invocation = oneInvocation(line);
        if (invocation) return { invocation, source: `.github/workflows/${file}` };
      }
    }
  }
  return null;
}

function runScripts(yaml: string): string[] {
  const scripts: string[] = [];
  const lines = yaml.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const step = /^(\s*)(?:-\s+)?run:\s*(.*)$/.exec(lines[index]!);
    if (!step) continue;
    const value = step[2]!.trim();
    if (!/^[|>][-+]?$/.test(value)) {
      scripts.push(value.replace(/^(["'])(.*)\1$/, "$2"));
      continue;
    }
    const block: string[] = [];
    const indent = step[1]!.length;
    for (index++; index < lines.length; index++) {
      const line = lines[index]!;
      if (line.trim() !== "" && line.length - line.trimStart().length <= indent) break;
      block.push(line.trim());
    }
    index--;
    scripts.push(block.join("\n"));
  }
  return scripts;
}

/** Where pytest's own configuration is (pytest reads it wherever it is; its presence says the project uses pytest). */
function pytestConfiguration(tree: string): string | null {
  if (read(tree, "pytest.ini") !== undefined) return "pytest.ini";
  const tool = readToml(tree, "pyproject.toml")?.tool as Record<string, unknown> | undefined;
  if ((tool?.pytest as Record<string, unknown> | undefined)?.ini_options !== undefined) return "pyproject.toml [tool.pytest.ini_options]";
  if (tool?.pytest !== undefined) return "pyproject.toml [tool.pytest]";
  if (iniSections(read(tree, "setup.cfg") ?? "").has("tool:pytest")) return "setup.cfg [tool:pytest]";
  if (iniSections(read(tree, "tox.ini") ?? "").has("pytest")) return "tox.ini [pytest]";
  return null;
}

/** `python -m pytest --doctest-modules boltons tests (from tox.ini [testenv] commands; src on PYTHONPATH)`. */
export function describeTestCommand(command: TestCommand): string {
  const line = ["python", "-m", command.runner, ...command.args].map((word) => (/^[\w./:=,@+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`)).join(" ");
  return `${line} (${[command.source, ...command.notes].join("; ")})`;
}
