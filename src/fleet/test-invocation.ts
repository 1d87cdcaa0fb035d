/**
 * Reading a test command out of a project's files. Those files are untrusted: a command line is
 * never given to a shell; it is split into words here and adopted only when it is an invocation
 * of pytest or unittest, whose arguments are then kept minus the options that write outside the
 * tree or make the run stop early (a run that stops early hides tests from the proof).
 */

export interface TestInvocation {
  runner: "pytest" | "unittest";
  args: string[];
  /** Options removed, for the chosen-command line. */
  dropped: string[];
}

/**
 * Splits a POSIX shell command line into words (quotes and backslashes as sh reads them). Returns
 * null when the line does more than run one program: pipes, redirections, substitutions,
 * background jobs. `&&`, `||` and `;` split the line into commands.
 */
export function shellCommands(line: string): string[][] | null {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (char === "'") {
      const end = line.indexOf("'", index + 1);
      if (end < 0) return null;
      word += line.slice(index + 1, end);
      inWord = true;
      index = end;
    } else if (char === '"') {
      let end = index + 1;
      for (; end < line.length && line[end] !== '"'; end++) {
        if (line[end] === "\\" && end + 1 < line.length && '"\\$`'.includes(line[end + 1]!)) word += line[++end];
        else if (line[end] === "`" || (line[end] === "$" && line[end + 1] === "(")) return null;
        else word += line[end];
      }
      if (end >= line.length) return null;
      inWord = true;
      index = end;
    } else if (char === "\\") {
      if (index + 1 < line.length && line[index + 1] !== "\n") word += line[++index];
      else index++;
      inWord = inWord || index < line.length;
    } else if (char === " " || char === "\t" || char === "\n") endWord();
    else if (char === ";" || (char === "&" && line[index + 1] === "&") || (char === "|" && line[index + 1] === "|")) {
      if (char !== ";") index++;
      endCommand();
    } else if ("|&<>`".includes(char) || (char === "$" && line[index + 1] === "(")) return null;
    else if (char === "#" && !inWord) break;
    else {
      word += char;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

const PYTHON_PROGRAM = /^(?:.*\/)?(?:python(?:\d+(?:\.\d+)?)?|pypy3?|py|\{envpython\}|\$\(PYTHON\d*\)|\$\{PYTHON\d*\}|\$PYTHON\d*)$/;
/** Runners that start their argument (`uv run pytest`, `poetry run python -m pytest`), with their options that take a value. */
const WRAPPERS = new Set(["uv", "poetry", "pdm", "pipenv", "rye", "hatch"]);
const WRAPPER_VALUE_OPTIONS = new Set(["--group", "--python", "-p", "--with", "--extra", "--env-file", "--package", "--directory", "--project", "--index", "--env", "-e", "--only-group", "--no-group"]);
/** Python's own options that take a value (`python -W error -m pytest`). */
const PYTHON_VALUE_OPTIONS = new Set(["-W", "-X", "-c"]);

/** Recognizes one command (its words) as a pytest or unittest invocation; null for anything else. */
export function testInvocation(words: string[]): TestInvocation | null {
  let index = 0;
  while (index < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[index]!)) index++; // FOO=bar pytest
  if (words[index] === "env") index++;
  while (index < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[index]!)) index++;
  if (WRAPPERS.has(words[index] ?? "") && words[index + 1] === "run") {
    index += 2;
    while (index < words.length && words[index]!.startsWith("-")) index += WRAPPER_VALUE_OPTIONS.has(words[index]!) ? 2 : 1;
  }
  const program = words[index];
  if (program === undefined) return null;
  const rest = words.slice(index + 1);
  const base = program.replace(/^\{envbindir\}\//, "").replace(/^.*\//, "");
  if (base === "pytest" || base === "py.test") return pytestInvocation(rest);
  if (base === "coverage") return coverageInvocation(rest);
  if (!PYTHON_PROGRAM.test(program)) return null;
  let at = 0;
  while (at < rest.length && rest[at] !== "-m") {
    const option = rest[at]!;
    if (!option.startsWith("-") || option === "-c") return null; // a script or inline code, not a test runner
    at += PYTHON_VALUE_OPTIONS.has(option) ? 2 : 1;
  }
  const module = rest[at + 1];
  const args = rest.slice(at + 2);
  if (module === "pytest") return pytestInvocation(args);
  if (module === "unittest") return unittestInvocation(args);
  if (module === "coverage") return coverageInvocation(args);
  return null;
}

/** `coverage run [options] -m pytest ...`: the tests, without coverage. */
function coverageInvocation(words: string[]): TestInvocation | null {
  if (words[0] !== "run") return null;
  const module = words.indexOf("-m");
  if (module < 0) return null;
  const name = words[module + 1];
  const args = words.slice(module + 2);
  const found = name === "pytest" ? pytestInvocation(args) : name === "unittest" ? unittestInvocation(args) : null;
  return found ? { ...found, dropped: ["coverage run", ...found.dropped] } : null;
}

/** Flags that end the run early, pick a subset from a cache, or open a debugger. */
const PYTEST_DROPPED_FLAGS = new Set([
  "-x", "--exitfirst", "--lf", "--last-failed", "--ff", "--failed-first", "--nf", "--new-first", "--sw", "--stepwise", "--sw-skip", "--stepwise-skip",
  "--pdb", "--trace", "--cache-clear", "--cov-append", "--cov-branch", "--no-cov", "--looponfail", "-f", "--setup-only", "--setup-plan", "--collect-only",
  "--co", "--fixtures", "--markers", "--help", "-h", "--version", "-V", "--runxfail",
]);
/** Options whose value is a file or directory written outside the tree, or that change how many tests run or where. */
const PYTEST_DROPPED_VALUE_OPTIONS = new Set([
  "--junitxml", "--junit-xml", "--junit-prefix", "--basetemp", "--result-log", "--resultlog", "--report-log", "--log-file", "--html", "--cov", "--cov-report",
  "--cov-config", "--cov-fail-under", "--cov-context", "--maxfail", "-n", "--numprocesses", "--dist", "--maxprocesses", "--pdbcls", "--json-report-file",
  "--benchmark-json", "--benchmark-save", "--benchmark-storage", "--durations-path", "--debug", "--tx", "--rsyncdir",
]);
/** Kept options that take their value as the next word (so that word is not read as a test path). */
const PYTEST_VALUE_OPTIONS = new Set([
  "-k", "-m", "-c", "-p", "-W", "-o", "-r", "--tb", "--rootdir", "--ignore", "--ignore-glob", "--deselect", "--confcutdir", "--import-mode", "--durations",
  "--durations-min", "--log-level", "--log-cli-level", "--override-ini", "--doctest-glob", "--doctest-report", "--capture", "--show-capture",
  "--log-format", "--log-date-format", "--timeout", "--timeout-method", "--randomly-seed", "--config-file", "--inifile", "--assert",
]);
/** `--cov` takes its value optionally: argparse takes the next word when it is not an option. */
const OPTIONAL_VALUE = new Set(["--cov", "--debug"]);

function pytestInvocation(words: string[]): TestInvocation {
  const args: string[] = [];
  const dropped: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    const name = word.startsWith("--") ? word.split("=")[0]! : word;
    const next = words[index + 1];
    if (PYTEST_DROPPED_FLAGS.has(word) || /^-n(\d+|auto|logical)$/.test(word) || /^-x\w*$/.test(word)) dropped.push(word);
    else if (PYTEST_DROPPED_VALUE_OPTIONS.has(name)) {
      const valueFollows = name === word && next !== undefined && !(OPTIONAL_VALUE.has(name) && next.startsWith("-"));
      dropped.push(valueFollows ? `${word} ${words[++index]}` : word);
    } else {
      args.push(word);
      if (PYTEST_VALUE_OPTIONS.has(word) && next !== undefined) args.push(words[++index]!);
    }
  }
  return { runner: "pytest", args, dropped };
}

function unittestInvocation(words: string[]): TestInvocation {
  const args: string[] = [];
  const dropped: string[] = [];
  for (const word of words) {
    // -f stops at the first failure (tests after it would go missing); -c installs a Ctrl-C handler.
    if (word === "-f" || word === "--failfast" || word === "-c" || word === "--catch") dropped.push(word);
    else args.push(word);
  }
  return { runner: "unittest", args, dropped };
}

/** Words of `args` that name test paths (positional, not option values), with their index. */
export function positionalArguments(invocation: { runner: "pytest" | "unittest"; args: string[] }): number[] {
  const positions: number[] = [];
  const args = invocation.args;
  if (invocation.runner === "unittest") return positions; // module names and discover options; unittest resolves them itself
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!;
    if (word.startsWith("-")) {
      if (PYTEST_VALUE_OPTIONS.has(word)) index++;
      continue;
    }
    positions.push(index);
  }
  return positions;
}
