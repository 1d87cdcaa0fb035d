import type { Parser } from "web-tree-sitter";
import { parse as parseToml } from "smol-toml";
import { parsePython, type SyntaxNode } from "../python/index.js";
import type { FileEdit, ReviewComment } from "./types.js";

/**
 * The risk rules of the reviewer, for changes a model wrote: what the change ADDS that could act
 * beyond its task when the proof runs it (or later, in the user's hands): process execution,
 * network access, file writes outside the package, eval/exec/compile, dynamic imports, changes to
 * tests' or CI's configuration, new dependencies. Python is read with tree-sitter; a construct
 * counts as added when the file holds more of it (by kind and normalized text) after the change
 * than before, so code that was already there, or that only moved, is never flagged.
 */

type Category = "process" | "network" | "file-write" | "eval" | "dynamic-import" | "test-config" | "ci-config" | "dependency";

const CATEGORY_TEXT: Record<Category, string> = {
  process: "runs processes",
  network: "opens network connections",
  "file-write": "writes or deletes files outside the package",
  eval: "evaluates code at run time",
  "dynamic-import": "imports modules dynamically",
  "test-config": "changes how the tests run",
  "ci-config": "changes CI configuration",
  dependency: "adds or changes dependencies",
};

const PROCESS_MODULES = new Set(["subprocess", "pty", "pexpect", "sh", "plumbum"]);
const NETWORK_MODULES = new Set(["socket", "ssl", "urllib", "urllib.request", "urllib3", "http.client", "http.server", "requests", "httpx", "aiohttp", "ftplib", "smtplib", "poplib", "imaplib", "telnetlib", "xmlrpc.client", "websocket", "websockets", "paramiko", "asyncssh"]);
const PROCESS_CALLS = /^(os\.(system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|fork|forkpty|startfile)|subprocess\.\w+|pty\.(spawn|fork)|asyncio\.(create_subprocess_exec|create_subprocess_shell))$/;
const NETWORK_CALLS = /^(socket\.\w+|urllib\.request\.\w+|urllib3\.\w+|http\.client\.\w+|requests\.\w+|httpx\.\w+|aiohttp\.\w+|asyncio\.open_connection)$/;
const OS_PROCESS_NAMES = /^(system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|fork|forkpty)$/;
const DELETE_CALLS = /^(os\.(remove|unlink|rmdir|removedirs|rename|replace|truncate)|shutil\.(move|copy\w*|rmtree))$/;
const WRITE_METHODS = /^(write_text|write_bytes|unlink|rmdir|touch|mkdir|rename|replace|symlink_to|hardlink_to)$/;

interface Fact {
  category: Category;
  /** What is flagged, as the message shows it. */
  what: string;
  line: number;
}

function stringValue(node: SyntaxNode | null | undefined): string | undefined {
  if (!node || node.type !== "string") return undefined;
  if (node.namedChildren.some((child) => child?.type === "interpolation")) return undefined;
  return node.namedChildren.filter((child) => child?.type === "string_content").map((child) => child!.text).join("");
}

/** A literal path that leaves the package: absolute, in a home (`~`), or climbing out (`..`). */
function outsidePath(value: string | undefined): boolean {
  return value !== undefined && (value.startsWith("/") || value.startsWith("~") || /^[A-Za-z]:[\\/]/.test(value) || value.split(/[\\/]/).includes(".."));
}

function compact(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

function arguments_(call: SyntaxNode): SyntaxNode[] {
  return (call.childForFieldName("arguments")?.namedChildren ?? []).filter((node): node is SyntaxNode => node !== null);
}

function openMode(call: SyntaxNode): string | undefined {
  const args = arguments_(call);
  const keyword = args.find((arg) => arg.type === "keyword_argument" && arg.childForFieldName("name")?.text === "mode");
  return stringValue(keyword ? keyword.childForFieldName("value") : args.filter((arg) => arg.type !== "keyword_argument")[1]);
}

function callFact(call: SyntaxNode): Fact | undefined {
  const callee = call.childForFieldName("function");
  if (!callee) return undefined;
  const name = callee.text.replace(/\s+/g, "");
  const line = call.startPosition.row + 1;
  const what = compact(call.text);
  if (callee.type === "identifier" && (name === "eval" || name === "exec" || name === "compile")) return { category: "eval", what, line };
  if (name === "__import__" || name === "importlib.import_module" || name === "importlib.__import__" || name === "import_module") return { category: "dynamic-import", what, line };
  if (PROCESS_CALLS.test(name)) return { category: "process", what, line };
  if (NETWORK_CALLS.test(name)) return { category: "network", what, line };
  const first = stringValue(arguments_(call).find((arg) => arg.type !== "keyword_argument"));
  if (name === "shutil.rmtree") return { category: "file-write", what, line };
  if (DELETE_CALLS.test(name) && outsidePath(first)) return { category: "file-write", what, line };
  if ((name === "open" || name === "io.open" || name === "codecs.open") && outsidePath(first) && /[wax+]/.test(openMode(call) ?? "")) return { category: "file-write", what, line };
  if (name === "os.open" && outsidePath(first)) return { category: "file-write", what, line };
  // Path("/abs").write_text(...): the literal path inside a Path(...) whose method writes.
  if (callee.type === "attribute" && WRITE_METHODS.test(callee.childForFieldName("attribute")?.text ?? "")) {
    const target = callee.childForFieldName("object");
    if (target?.type === "call" && /^(pathlib\.)?Path$/.test(target.childForFieldName("function")?.text ?? "") && outsidePath(stringValue(arguments_(target)[0]))) return { category: "file-write", what, line };
  }
  return undefined;
}

function importFacts(node: SyntaxNode): Fact[] {
  const line = node.startPosition.row + 1;
  const what = compact(node.text);
  const facts: Fact[] = [];
  const classify = (module: string, names: string[]) => {
    const top = module.split(".")[0]!;
    if (PROCESS_MODULES.has(module) || PROCESS_MODULES.has(top)) facts.push({ category: "process", what, line });
    else if (NETWORK_MODULES.has(module) || NETWORK_MODULES.has(top)) facts.push({ category: "network", what, line });
    else if (module === "importlib" && (names.length === 0 || names.some((name) => name === "import_module" || name === "__import__"))) facts.push({ category: "dynamic-import", what, line });
    else if (module === "os" && names.some((name) => OS_PROCESS_NAMES.test(name))) facts.push({ category: "process", what, line });
  };
  if (node.type === "import_statement") {
    for (const child of node.namedChildren) {
      if (!child) continue;
      const dotted = child.type === "aliased_import" ? child.childForFieldName("name") : child;
      if (dotted) classify(dotted.text, []);
    }
  } else {
    const module = node.childForFieldName("module_name");
    if (module && !module.text.startsWith(".")) classify(module.text, node.childrenForFieldName("name").map((name) => (name?.type === "aliased_import" ? name.childForFieldName("name")?.text : name?.text) ?? ""));
  }
  return facts;
}

/** Every risky construct of a Python source (empty for one that does not parse at all). */
export function pythonRiskFacts(parser: Parser, source: string): Fact[] {
  const tree = parsePython(parser, source);
  try {
    const facts: Fact[] = [];
    const cursor = tree.rootNode.walk();
    // Iterative walk: a generated file may nest deeper than the call stack allows.
    let descend = true;
    for (;;) {
      const node = cursor.currentNode;
      if (descend) {
        if (node.type === "call") {
          const fact = callFact(node);
          if (fact) facts.push(fact);
        } else if (node.type === "import_statement" || node.type === "import_from_statement") facts.push(...importFacts(node));
      }
      if (descend && cursor.gotoFirstChild()) continue;
      if (cursor.gotoNextSibling()) {
        descend = true;
        continue;
      }
      if (!cursor.gotoParent()) break;
      descend = false;
    }
    cursor.delete();
    return facts;
  } finally {
    tree.delete();
  }
}

const TEST_CONFIG_FILE = /(^|\/)(conftest\.py|pytest\.ini|tox\.ini|noxfile\.py|\.coveragerc)$/;
const CI_FILE = /^(\.github\/|\.gitlab-ci\.yml$|\.circleci\/|\.travis\.yml$|azure-pipelines\.yml$|Jenkinsfile$|\.pre-commit-config\.yaml$|\.buildkite\/)/;
const DEPENDENCY_FILE = /(^|\/)(requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|Pipfile(\.lock)?|poetry\.lock|uv\.lock|pdm\.lock|environment\.ya?ml)$/;

/** Keys of pyproject.toml that decide how tests run and what gets installed. */
function pyprojectParts(source: string | undefined): { tests: string; dependencies: string } | undefined {
  if (source === undefined) return { tests: "", dependencies: "" };
  let document: Record<string, any>;
  try {
    document = parseToml(source) as Record<string, any>;
  } catch {
    return undefined;
  }
  const tool = document.tool ?? {};
  const project = document.project ?? {};
  const json = (value: unknown) => JSON.stringify(value ?? null);
  return {
    tests: json([tool.pytest, tool.tox, tool.coverage, tool.nox, tool.hatch?.envs]),
    dependencies: json([project.dependencies, project["optional-dependencies"], document["build-system"], document["dependency-groups"], tool.poetry?.dependencies, tool.poetry?.group, tool.pdm?.["dev-dependencies"], tool.uv?.sources]),
  };
}

/** The trimmed lines of a file that match `pattern`. */
function lines(source: string | undefined, pattern: RegExp): string[] {
  return (source ?? "").split("\n").filter((line) => pattern.test(line)).map((line) => line.trim());
}

function fileFacts(path: string, before: string | undefined, after: string | null): ReviewComment[] {
  const comment = (category: Category, detail: string): ReviewComment => ({ rule: "risk", path, message: `risky change: ${path} ${CATEGORY_TEXT[category]} (${detail})` });
  const name = path.split("/").pop()!;
  if (TEST_CONFIG_FILE.test(path)) return [comment("test-config", before === undefined ? "new file" : after === null ? "deleted" : "edited")];
  if (CI_FILE.test(path)) return [comment("ci-config", before === undefined ? "new file" : after === null ? "deleted" : "edited")];
  if (DEPENDENCY_FILE.test(path)) return [comment("dependency", before === undefined ? "new file" : after === null ? "deleted" : "edited")];
  if (name === "pyproject.toml" && path === "pyproject.toml") {
    const previous = pyprojectParts(before);
    const next = pyprojectParts(after ?? undefined);
    if (!next) return [comment("dependency", "pyproject.toml no longer parses")];
    const found: ReviewComment[] = [];
    if (previous?.tests !== next.tests) found.push(comment("test-config", "[tool.pytest]/[tool.tox]/[tool.coverage]"));
    if (previous?.dependencies !== next.dependencies) found.push(comment("dependency", "[project] dependencies or [build-system]"));
    return found;
  }
  if (name === "setup.cfg" && after !== before) {
    const added = lines(after ?? undefined, /\S/).filter((line) => !lines(before, /\S/).includes(line));
    return [added.some((line) => /requires|dependency_links/.test(line)) ? comment("dependency", "setup.cfg requirements") : comment("test-config", "setup.cfg settings")];
  }
  if (name === "setup.py") {
    const pattern = /(install_requires|setup_requires|tests_require|extras_require|dependency_links|cmdclass)/;
    const beforeLines = lines(before, /\S/);
    if (lines(after ?? undefined, /\S/).some((line) => !beforeLines.includes(line) && pattern.test(line))) return [comment("dependency", "setup() requirements")];
  }
  return [];
}

/**
 * Review comments (rule `risk`) for what `edits` add that may act beyond the task. `before(path)`
 * is the file before the change (undefined when new).
 */
export function riskyAdditions(parser: Parser, edits: FileEdit[], before: (path: string) => string | undefined): ReviewComment[] {
  const comments: ReviewComment[] = [];
  for (const edit of edits) {
    const previous = before(edit.path);
    comments.push(...fileFacts(edit.path, previous, edit.content));
    if (!edit.path.endsWith(".py") || edit.content === null) continue;
    const existing = new Map<string, number>();
    for (const fact of previous === undefined ? [] : pythonRiskFacts(parser, previous)) existing.set(`${fact.category}\0${fact.what}`, (existing.get(`${fact.category}\0${fact.what}`) ?? 0) + 1);
    for (const fact of pythonRiskFacts(parser, edit.content)) {
      const key = `${fact.category}\0${fact.what}`;
      const left = existing.get(key) ?? 0;
      if (left > 0) {
        existing.set(key, left - 1);
        continue;
      }
      comments.push({ rule: "risk", path: edit.path, line: fact.line, message: `risky change: ${edit.path}:${fact.line} ${CATEGORY_TEXT[fact.category]}: ${fact.what}` });
    }
  }
  return comments;
}
