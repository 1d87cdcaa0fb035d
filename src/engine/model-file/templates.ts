/**
 * Chat templates the presets store in tokenizer.chat_template. Both stay within the Jinja subset
 * of engine/chat (for/if, loop variables, + and ~, filters trim and length).
 */

/** Llama-2 style: [INST] ... [/INST], system prompt folded into the first user turn. */
export const LLAMA2_TEMPLATE = [
  "{%- for message in messages -%}",
  "{%- if message['role'] == 'system' -%}",
  "{{- bos_token + '[INST] <<SYS>>\\n' + message['content'] | trim + '\\n<</SYS>>\\n\\n' -}}",
  "{%- elif message['role'] == 'user' -%}",
  "{%- if loop.first or messages[loop.index0 - 1]['role'] != 'system' -%}{{- bos_token + '[INST] ' -}}{%- endif -%}",
  "{{- message['content'] | trim + ' [/INST]' -}}",
  "{%- elif message['role'] == 'assistant' -%}",
  "{{- ' ' + message['content'] | trim + ' ' + eos_token -}}",
  "{%- else -%}",
  "{{- raise_exception('Only system, user and assistant roles are supported') -}}",
  "{%- endif -%}",
  "{%- endfor -%}",
].join("");

/** ChatML: <|im_start|>role\ncontent<|im_end|>\n per message. */
export const CHATML_TEMPLATE = [
  "{%- for message in messages -%}",
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}",
  "{%- endfor -%}",
  "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}",
].join("");
