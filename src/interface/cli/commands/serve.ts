import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { basename } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { UsageError } from "../../../core/index.js";
import { renderChat } from "../../../engine/chat/index.js";
import { DEFAULT_BLOCK_SIZE, DEFAULT_MAX_BATCHED_TOKENS, DEFAULT_MAX_SEQS } from "../../../engine/generate/index.js";
import { formatBytes, kvBytesPerToken, loadModel } from "../../../engine/runtime/index.js";
import { createEngineServer } from "../../../engine/server/index.js";
import { loadTokenizer } from "../../../engine/tokenizer/index.js";
import { createLogger, registerSecret } from "../../../observability/index.js";

const flagsSchema = z.object({
  model: z.string().min(1),
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  threads: z.coerce.number().int().min(1).optional(),
  ctxSize: z.coerce.number().int().min(1).optional(),
  apiKey: z.string().min(1).optional(),
  apiKeyFile: z.string().min(1).optional(),
  insecureNoAuth: z.boolean().default(false),
  kernels: z.enum(["native", "js", "auto"]).default("auto"),
  maxSeqs: z.coerce.number().int().min(1).max(4096).default(DEFAULT_MAX_SEQS),
  maxBatchedTokens: z.coerce.number().int().min(1).max(1 << 20).default(DEFAULT_MAX_BATCHED_TOKENS),
  blockSize: z.coerce.number().int().min(1).max(4096).default(DEFAULT_BLOCK_SIZE),
  kvBlocks: z.coerce.number().int().min(1).optional(),
  prefixCaching: z.boolean().default(true),
  statsInterval: z.coerce.number().min(0).default(10),
});

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("serve a local GGUF model over an OpenAI-compatible HTTP API")
    .requiredOption("-m, --model <file>", "GGUF model file")
    .option("--host <host>", "address to bind (default 127.0.0.1: this machine only)")
    .option("--port <port>", "port, 0 = any free one (default 8080)")
    .option("--threads <n>", "compute threads (default: picked from the machine)")
    .option("--ctx-size <n>", "context length per sequence (default: the model's)")
    .option("--api-key-file <file>", "require 'Authorization: Bearer KEY' on every request, KEY read from this file (or set PYAGENT_API_KEY)")
    .option("--api-key <key>", "the same with KEY on the command line, where other users of this machine see it (ps): prefer --api-key-file or PYAGENT_API_KEY")
    .option("--insecure-no-auth", "allow a --host other than loopback without an API key (anyone who can reach the port may use the model)")
    .option("--kernels <kind>", "native, js or auto (default auto)")
    .option("--max-seqs <n>", `most requests computing at once (default ${DEFAULT_MAX_SEQS})`)
    .option("--max-batched-tokens <n>", `most tokens one engine step computes, prompt chunks and decodes together (default ${DEFAULT_MAX_BATCHED_TOKENS})`)
    .option("--block-size <n>", `tokens per KV cache block (default ${DEFAULT_BLOCK_SIZE})`)
    .option("--kv-blocks <n>", "KV cache blocks in the pool (default: max-seqs full contexts, at most half the free memory)")
    .option("--no-prefix-caching", "recompute every prompt instead of reusing cached blocks of a shared prefix")
    .option("--stats-interval <seconds>", "log engine stats this often while busy, 0 = never (default 10)")
    .action(async (raw: Record<string, unknown>) => {
      const parsed = flagsSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new UsageError(`invalid --${String(issue.path[0] ?? "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`);
      }
      const apiKey = readServeApiKey(parsed.data, process.env);
      registerSecret(apiKey); // masked in every line the server prints or logs
      checkExposure(parsed.data.host, apiKey, parsed.data.insecureNoAuth);
      await runServe(parsed.data, apiKey);
    });
}

type ServeFlags = z.infer<typeof flagsSchema>;

/**
 * The key clients must send, from --api-key-file, --api-key or PYAGENT_API_KEY (one flag at most;
 * a flag wins over the environment). A file that cannot be read or holds no key is a usage error.
 */
function readServeApiKey(flags: Pick<ServeFlags, "apiKey" | "apiKeyFile">, env: NodeJS.ProcessEnv): string | undefined {
  if (flags.apiKey !== undefined && flags.apiKeyFile !== undefined) throw new UsageError("give --api-key-file or --api-key, not both");
  if (flags.apiKeyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.apiKeyFile, "utf8");
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
      throw new UsageError(`cannot read --api-key-file ${flags.apiKeyFile}: ${reason}`);
    }
    const key = text.trim();
    if (key === "") throw new UsageError(`--api-key-file ${flags.apiKeyFile} is empty: write the key in it`);
    return key;
  }
  if (flags.apiKey !== undefined) return flags.apiKey;
  const fromEnvironment = env.PYAGENT_API_KEY?.trim();
  return fromEnvironment ? fromEnvironment : undefined;
}

/** Whether `host` only accepts connections from this machine. */
function isLoopback(host: string): boolean {
  const address = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (address === "localhost") return true;
  if (isIP(address) === 4) return address.startsWith("127.");
  if (isIP(address) === 6) return address === "::1" || /^::ffff:127\./.test(address);
  return false;
}

/**
 * Refuses to serve the model to the network without a key: a host other than loopback needs an
 * API key, or --insecure-no-auth to say that an open server is what the user wants.
 */
function checkExposure(host: string, apiKey: string | undefined, insecureNoAuth: boolean): void {
  if (apiKey !== undefined || isLoopback(host)) return;
  if (!insecureNoAuth) {
    throw new UsageError(
      `--host ${host} makes the server reachable from other machines, and no API key is set: give --api-key-file FILE ` +
        "(or set PYAGENT_API_KEY), or --insecure-no-auth to serve without one",
    );
  }
  process.stderr.write(`pyagent serve: WARNING: listening on ${host} without an API key (--insecure-no-auth): anyone who can reach this port can use the model\n`);
}

async function runServe(flags: ServeFlags, apiKey: string | undefined): Promise<void> {
  const model = loadModel(flags.model, { kernels: flags.kernels, threads: flags.threads, contextLength: flags.ctxSize });
  const tokenizer = loadTokenizer(model.file);
  const logger = createLogger({ name: "engine-server", level: process.env.PYAGENT_LOG_LEVEL ?? "info" });
  const server = createEngineServer({
    model,
    tokenizer,
    modelId: basename(flags.model).replace(/\.gguf$/i, ""),
    renderChat: (messages) => renderChat(model.file, messages, { addGenerationPrompt: true }),
    apiKey,
    logger,
    batching: { maxSeqs: flags.maxSeqs, maxBatchedTokens: flags.maxBatchedTokens, blockSize: flags.blockSize, kvBlocks: flags.kvBlocks, prefixCaching: flags.prefixCaching },
  });
  const url = await server.listen(flags.port, flags.host);
  const { kvBlocks } = server.queue.batching;
  const kvBytes = kvBlocks * flags.blockSize * kvBytesPerToken(model.config);
  process.stdout.write(
    `pyagent serve: ${basename(flags.model)} on ${url}/v1 (${model.kernels.name} kernels, ${model.threads} threads, context ${model.config.contextLength}, ` +
      `KV cache ${kvBlocks} blocks of ${flags.blockSize} tokens = ${formatBytes(kvBytes)}, up to ${flags.maxSeqs} sequences${flags.prefixCaching ? ", prefix caching" : ""})` +
      `${apiKey ? ", API key required" : ""}\n`,
  );
  // The numbers /metrics exposes, in the log while there is work (and once more when it drains).
  let lastLogged = "";
  const stats = flags.statsInterval > 0 ? setInterval(() => {
    const snapshot = server.queue.metrics.snapshot();
    const key = JSON.stringify(snapshot);
    if (key !== lastLogged) logger.info(snapshot, "engine stats");
    lastLogged = key;
  }, flags.statsInterval * 1000) : null;
  stats?.unref();
  // Serve until Ctrl-C or SIGTERM, then abort running generations and close cleanly.
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  if (stats !== null) clearInterval(stats);
  process.stdout.write("pyagent serve: shutting down\n");
  await server.close();
  model.close();
}
