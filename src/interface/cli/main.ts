import { Writable } from "node:stream";
import { Command, CommanderError } from "commander";
import { isPyAgentError } from "../../core/errors.js";
import { redactKnownSecrets, redactText, registerEnvironmentSecrets } from "../../observability/index.js";
import { PYAGENT_VERSION } from "./version.js";

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Runs the CLI and resolves to the process exit code:
 * 0 success, 1 `--fail-on` matched (or a command's own failure), 2 bad usage, path or configuration,
 * 3 state written by a newer PyAgent, 70 an unexpected internal error (a bug: run with --debug).
 * A reader that stops reading (`pyagent show RUN | head`) ends the process quietly with 141, as
 * SIGPIPE ends a Unix tool (see `exitQuietlyOnClosedPipe`).
 */
export async function main(argv: string[], given: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  // Secrets in the environment are known from the first line on; everything a command prints is
  // masked by value (a check's output, a provider's error that echoed a key). Not by pattern: a
  // command's own output (`"apiKey": "not needed"`, a diff) is not a secret.
  registerEnvironmentSecrets(process.env);
  const io: CliIo = { stdout: redacting(given.stdout), stderr: redacting(given.stderr) };
  const program = new Command("pyagent");
  program
    .description("A fleet of agents that keeps Python codebases healthy.")
    .version(PYAGENT_VERSION)
    .option("--debug", "print stack traces on errors")
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  await registerCommands(program, io, argv.slice(2).find((arg) => !arg.startsWith("-")));
  try {
    await program.parseAsync(argv);
    return (program.getOptionValue("exitCode") as number | undefined) ?? 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return 0;
      return 2; // commander already printed one line saying what was wrong
    }
    const debug = argv.includes("--debug");
    if (isPyAgentError(error)) {
      io.stderr.write(`pyagent: ${redactText(error.message)}\n`);
      if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    io.stderr.write(`pyagent: unexpected error: ${redactText((error as Error)?.message ?? String(error))}${debug ? `\n${(error as Error)?.stack}` : " (run with --debug for details)"}\n`);
    return 70;
  }
}

/**
 * `stream` with every known secret masked (`redactKnownSecrets`). Commands write whole lines or
 * whole documents, so a secret is never split across two writes.
 */
function redacting(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  const masked = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      // Handed on at once: the real stream buffers (and flushes before exit) as it always did.
      stream.write(redactKnownSecrets(String(chunk)));
      callback();
    },
  });
  // A terminal's shape and cursor calls (progress bars) go to the real stream.
  const terminal = stream as Partial<NodeJS.WriteStream>;
  const shape: Record<string, unknown> = { isTTY: terminal.isTTY, columns: terminal.columns, rows: terminal.rows };
  for (const name of ["cursorTo", "moveCursor", "clearLine", "clearScreenDown", "getWindowSize", "hasColors", "getColorDepth"] as const) {
    const method = terminal[name];
    if (typeof method === "function") shape[name] = (method as (...args: unknown[]) => unknown).bind(stream);
  }
  return Object.assign(masked, shape);
}

/**
 * Each command family's module, loaded on demand: a command pays only for its own imports
 * (a warm `analyze` must start fast), while help and unknown commands see every command.
 */
const COMMAND_FAMILIES: Array<{ names: string[]; register: (program: Command, io: CliIo) => Promise<void> }> = [
  { names: ["analyze"], register: async (program, io) => (await import("./commands/analyze.js")).registerAnalyzeCommand(program, io) },
  { names: ["improve", "merge", "runs", "show", "audit"], register: async (program, io) => (await import("./commands/improve.js")).registerImproveCommands(program, io) },
  { names: ["models"], register: async (program, io) => (await import("./commands/models.js")).registerModelsCommand(program, io) },
  { names: ["model"], register: async (program) => (await import("./commands/model.js")).registerModelCommands(program) },
  { names: ["generate"], register: async (program) => (await import("./commands/generate.js")).registerGenerateCommand(program) },
  { names: ["serve"], register: async (program) => (await import("./commands/serve.js")).registerServeCommand(program) },
];

async function registerCommands(program: Command, io: CliIo, commandName: string | undefined): Promise<void> {
  const family = COMMAND_FAMILIES.find((candidate) => commandName !== undefined && candidate.names.includes(commandName));
  for (const candidate of family ? [family] : COMMAND_FAMILIES) await candidate.register(program, io);
}

/** Exit code of a process whose output pipe was closed by its reader: 128 + SIGPIPE, as a shell reports it. */
export const CLOSED_PIPE_EXIT_CODE = 141;

/**
 * Makes a closed pipe on `stream` (stdout or stderr of the process) end the command quietly: Node
 * ignores SIGPIPE, so a write after `head` exits fails with EPIPE, which unhandled is a stack
 * trace. Nothing more can be said on a closed stream, so the process just exits. Any other
 * stream error is still thrown.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(CLOSED_PIPE_EXIT_CODE);
    throw error;
  });
}
