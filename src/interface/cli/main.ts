import { Command } from "commander";

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("pyagent");
  program.description("A fleet of agents that keeps Python codebases healthy.");
  await program.parseAsync(argv);
  return 0;
}
