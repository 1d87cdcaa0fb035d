import type { GgufFile } from "../gguf/index.js";
import type { Node } from "./ast.js";
import { render } from "./evaluate.js";
import { lex } from "./lexer.js";
import { parse } from "./parser.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
}

export interface ChatTemplateSource {
  template?: string;
  bosText?: string;
  eosText?: string;
}

export interface RenderChatOptions {
  /** Append the opening of the assistant's turn (the template's add_generation_prompt). Default true. */
  addGenerationPrompt?: boolean;
  /** More template variables, e.g. `tools` for templates that render tool definitions. */
  variables?: Record<string, unknown>;
}

/**
 * The template used when a model file has none: ChatML, i.e. for each message
 * "<|im_start|>{role}\n{content}<|im_end|>\n", then "<|im_start|>assistant\n" when a generation
 * prompt is asked for. (llama.cpp falls back to ChatML too.)
 */
export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const compiled = new Map<string, Node[]>();

/** Parses a template once; later calls with the same text reuse the tree. */
export function compileChatTemplate(template: string): Node[] {
  let nodes = compiled.get(template);
  if (!nodes) {
    nodes = parse(lex(template));
    if (compiled.size > 64) compiled.clear();
    compiled.set(template, nodes);
  }
  return nodes;
}

/** Renders messages with the model's chat template (tokenizer.chat_template) or the ChatML default. */
export function renderChat(
  source: GgufFile | ChatTemplateSource,
  messages: ChatMessage[],
  options: RenderChatOptions = {},
): string {
  const { template, bosText, eosText } = "metadata" in source ? templateFromFile(source) : source;
  return render(compileChatTemplate(template ?? DEFAULT_CHAT_TEMPLATE), {
    ...options.variables,
    messages: messages.map((message) => ({ ...message })),
    add_generation_prompt: options.addGenerationPrompt ?? true,
    bos_token: bosText ?? "",
    eos_token: eosText ?? "",
  });
}

function templateFromFile(file: GgufFile): ChatTemplateSource {
  const meta = file.metadata;
  const template = meta.get("tokenizer.chat_template");
  const tokens = meta.get("tokenizer.ggml.tokens");
  const tokenText = (key: string): string | undefined => {
    const id = meta.get(key);
    return Array.isArray(tokens) && typeof id === "number" && typeof tokens[id] === "string" ? (tokens[id] as string) : undefined;
  };
  return {
    template: typeof template === "string" ? template : undefined,
    bosText: tokenText("tokenizer.ggml.bos_token_id"),
    eosText: tokenText("tokenizer.ggml.eos_token_id"),
  };
}
