import { Command, CommanderError } from "commander";
import { isPyAgentError } from "../../core/index.js";
import { registerAnalyzeCommand } from "./commands/analyze.js";
import { registerImproveCommands } from "./commands/improve.js";
import { PYAGENT_VERSION } from "./version.js";

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Runs the CLI and resolves to the process exit code:
 * 0 success, 1 `--fail-on` matched (or a command's own failure), 2 bad usage, path or configuration,
 * 3 state written by a newer PyAgent, 70 an unexpected internal error (a bug: run with --debug).
 */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const program = new Command("pyagent");
  program
    .description("A fleet of agents that keeps Python codebases healthy.")
    .version(PYAGENT_VERSION)
    .option("--debug", "print stack traces on errors")
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  registerAnalyzeCommand(program, io);
  registerImproveCommands(program, io);
  for (const register of await optionalCommands()) register(program);
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
      io.stderr.write(`pyagent: ${error.message}\n`);
      if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    io.stderr.write(`pyagent: unexpected error: ${(error as Error)?.message ?? String(error)}${debug ? `\n${(error as Error)?.stack}` : " (run with --debug for details)"}\n`);
    return 70;
  }
}

type Register = (program: Command) => void;

/** Commands of parts that register themselves (engine, fleet, ...). */
async function optionalCommands(): Promise<Register[]> {
  const load = (name: string) => import(name).catch(() => undefined);
  const modules = await Promise.all([load("./commands/model.js"), load("./commands/generate.js"), load("./commands/serve.js")]);
  const registers: Register[] = [];
  const [model, generate, serve] = modules as Array<Record<string, Register> | undefined>;
  if (model?.registerModelCommands) registers.push(model.registerModelCommands);
  if (generate?.registerGenerateCommand) registers.push(generate.registerGenerateCommand);
  if (serve?.registerServeCommand) registers.push(serve.registerServeCommand);
  return registers;
}
