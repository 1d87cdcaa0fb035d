import { resolve } from "node:path";
import type { Command } from "commander";
import pc from "picocolors";
import { ConnectivityManager, type Health, type ModelEntry, loadModelsConfig, readApiKey, requiresApiKey, resolveModelChoice } from "../../../providers/index.js";

interface ModelsFlags {
  json?: boolean;
  model?: string;
  probe: boolean;
}

interface ModelRow {
  name: string;
  provider: string;
  model: string;
  baseUrl: string | null;
  tier: string;
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  /** Whether a key is set, or missing where the provider needs one: never the key itself. */
  apiKey: "set" | "missing" | "not needed";
  health: Health["state"];
  latencyMs: number | null;
  reason: string | null;
}

export function registerModelsCommand(program: Command, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): void {
  program
    .command("models")
    .description("configured language models with tier, price, health and latency")
    .argument("[path]", "project whose pyproject.toml [tool.pyagent.models] to read", ".")
    .option("--json", "print JSON instead of a table")
    .option("-m, --model <url|name>", "also check this model: a configured name or an OpenAI-compatible base URL")
    .option("--no-probe", "do not contact the endpoints (health shows unknown)")
    .action(async (path: string, flags: ModelsFlags) => {
      const root = resolve(path);
      const config = loadModelsConfig(root);
      const entries = [...config.models];
      if (flags.model !== undefined) {
        const chosen = await resolveModelChoice(flags.model, config);
        if (!entries.includes(chosen)) entries.push(chosen);
      }
      const connectivity = new ConnectivityManager({ ttlMs: config.healthTtlMs, root });
      const health = flags.probe ? await connectivity.probeAll(entries, true) : new Map<string, Health>();
      const rows = entries.map((entry) => rowOf(entry, health.get(entry.name) ?? { state: "unknown" }, root));
      io.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : table(rows));
    });
}

function rowOf(entry: ModelEntry, health: Health, root: string): ModelRow {
  const found = entry.apiKeyEnv !== undefined || entry.apiKeyFile !== undefined ? readApiKey(entry, process.env, root) !== undefined : false;
  const key: ModelRow["apiKey"] = found ? "set" : requiresApiKey(entry) ? "missing" : "not needed";
  return {
    name: entry.name,
    provider: entry.provider,
    model: entry.modelId,
    baseUrl: entry.baseUrl ?? null,
    tier: entry.tier,
    inputPricePerMillion: entry.price.inputPerMillion,
    outputPricePerMillion: entry.price.outputPerMillion,
    apiKey: key,
    health: health.state,
    latencyMs: health.state === "up" ? health.latencyMs : null,
    reason: health.state === "down" ? health.reason : null,
  };
}

function table(rows: ModelRow[]): string {
  if (rows.length === 0) return "no models configured: add [tool.pyagent.models.NAME] to pyproject.toml, or pass --model URL\n";
  const header = ["name", "provider", "model", "tier", "$/M in", "$/M out", "key", "health", "latency"];
  const cells = rows.map((row) => [
    row.name,
    row.provider,
    row.model,
    row.tier,
    String(row.inputPricePerMillion),
    String(row.outputPricePerMillion),
    row.apiKey,
    row.health,
    row.latencyMs === null ? "-" : `${row.latencyMs} ms`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const line = (values: string[]) => values.map((value, column) => value.padEnd(widths[column]!)).join("  ").trimEnd();
  const colour = (state: string, text: string) => (state === "up" ? pc.green(text) : state === "down" ? pc.red(text) : text);
  const body = cells.map((values, index) => {
    const text = line(values);
    const reason = rows[index]!.reason;
    return `${colour(rows[index]!.health, text)}${reason ? `\n  ${pc.dim(reason)}` : ""}`;
  });
  return `${pc.bold(line(header))}\n${body.join("\n")}\n`;
}
