import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readGguf } from "../gguf/index.js";
import { createModelFile } from "../model-file/index.js";
import { ChatTemplateError, type ChatMessage, DEFAULT_CHAT_TEMPLATE, renderChat } from "./index.js";

/**
 * Templates written for these tests in the style of the common model families. The expected
 * strings were checked against Python's Jinja2 3.1 with trim_blocks and lstrip_blocks (the
 * environment Hugging Face renders chat templates in).
 */
const LLAMA2 =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}" +
  "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}" +
  "{% for message in loop_messages %}" +
  "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}" +
  "{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const QWEN2 = `{%- for message in messages -%}
    {%- if loop.first and messages[0]['role'] != 'system' -%}
        {{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' -}}
    {%- endif -%}
    {{- '<|im_start|>' ~ message.role ~ '\\n' ~ message.content | trim ~ '<|im_end|>\\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<|im_start|>assistant\\n' -}}
{%- endif -%}`;

const ZEPHYR = `{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>\\n' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>\\n' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>\\n'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}`;

/** Llama-3.1-like: sets, slices, `in`/`is mapping` tests, tool calls rendered with tojson. */
const LLAMA31 = `{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message + builtin tools #}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if builtin_tools is defined or tools is not none %}
    {{- "Environment: ipython\\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
`;

const conversation: ChatMessage[] = [
  { role: "system", content: "You are terse." },
  { role: "user", content: " Hi there " },
  { role: "assistant", content: "Hello." },
  { role: "user", content: "Sum 2+2?" },
];

const dir = mkdtempSync(join(tmpdir(), "pyagent-chat-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("renderChat with common chat templates", () => {
  it("llama-2: folds the system prompt into the first [INST], strips content, closes answers with eos", () => {
    const text = renderChat({ template: LLAMA2, bosText: "<s>", eosText: "</s>" }, conversation);
    // strip() applies to the combined system + user text, so the user's leading space stays (as in Jinja).
    expect(text).toBe(
      "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\n Hi there [/INST] Hello. </s><s>[INST] Sum 2+2? [/INST]",
    );
  });

  it("llama-2: raise_exception surfaces as a ChatTemplateError with the template's message", () => {
    const wrongOrder: ChatMessage[] = [
      { role: "assistant", content: "first" },
      { role: "user", content: "second" },
    ];
    expect(() => renderChat({ template: LLAMA2 }, wrongOrder)).toThrow(ChatTemplateError);
    expect(() => renderChat({ template: LLAMA2 }, wrongOrder)).toThrow(/roles must alternate/);
  });

  it("ChatML: one block per message plus the assistant opening when asked for", () => {
    const messages: ChatMessage[] = [{ role: "user", content: "hi" }];
    expect(renderChat({ template: CHATML }, messages, { addGenerationPrompt: true })).toBe(
      "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(renderChat({ template: CHATML }, messages, { addGenerationPrompt: false })).toBe("<|im_start|>user\nhi<|im_end|>\n");
  });

  it("Qwen2: {%- -%} strips the layout whitespace, ~ concatenates, a default system turn is added", () => {
    expect(renderChat({ template: QWEN2 }, [{ role: "user", content: "  hello  " }])).toBe(
      "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(renderChat({ template: QWEN2 }, conversation.slice(0, 2), { addGenerationPrompt: false })).toBe(
      "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n",
    );
  });

  it("Zephyr: trim_blocks and lstrip_blocks as in Hugging Face's chat environment", () => {
    const text = renderChat({ template: ZEPHYR, eosText: "</s>" }, [
      { role: "system", content: "You are friendly." },
      { role: "user", content: "Hello!" },
    ]);
    expect(text).toBe("<|system|>\nYou are friendly.</s>\n<|user|>\nHello!</s>\n<|assistant|>\n");
  });

  it("Llama-3.1 style: system extraction, tool calls through tojson, tool results", () => {
    const messages = [
      { role: "system", content: " Be brief. " },
      { role: "user", content: "Weather?" },
      { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris", days: [1, 2] } } }] },
      { role: "tool", content: "sunny" },
      { role: "user", content: "thanks" },
    ] as unknown as ChatMessage[];
    const header = (role: string) => `<|start_header_id|>${role}<|end_header_id|>\n\n`;
    expect(renderChat({ template: LLAMA31, bosText: "<|begin_of_text|>" }, messages)).toBe(
      "<|begin_of_text|>" +
        `${header("system")}Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>` +
        `${header("user")}Weather?<|eot_id|>` +
        `${header("assistant")}{"name": "get_weather", "parameters": {"city": "Paris", "days": [1, 2]}}<|eot_id|>` +
        `${header("ipython")}"sunny"<|eot_id|>` +
        `${header("user")}thanks<|eot_id|>${header("assistant")}`,
    );
  });

  it("passes extra variables such as tools to the template", () => {
    const template = "{% if tools %}{% for tool in tools %}[{{ tool.name }}]{% endfor %}{% endif %}{{ messages[0].content }}";
    expect(renderChat({ template }, [{ role: "user", content: "q" }], { variables: { tools: [{ name: "search" }, { name: "run" }] } })).toBe(
      "[search][run]q",
    );
    expect(renderChat({ template }, [{ role: "user", content: "q" }])).toBe("q");
  });

  it("falls back to the documented ChatML default when the model has no template", () => {
    const messages: ChatMessage[] = [{ role: "user", content: "x" }];
    expect(renderChat({}, messages)).toBe("<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n");
    expect(renderChat({ template: DEFAULT_CHAT_TEMPLATE }, messages)).toBe(renderChat({}, messages));
  });

  it("uses the GGUF file's template and bos/eos texts", () => {
    const out = join(dir, "tiny.gguf");
    createModelFile({ out, preset: "tiny", dtype: "f32", seed: 1 });
    const file = readGguf(out);
    expect(renderChat(file, conversation)).toBe(
      "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi there [/INST] Hello. </s><s>[INST] Sum 2+2? [/INST]",
    );
    file.close();
    const bpe = join(dir, "tiny-bpe.gguf");
    createModelFile({ out: bpe, preset: "tiny-bpe", dtype: "f32", seed: 1 });
    expect(renderChat(readGguf(bpe), [{ role: "user", content: "hi" }])).toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  });
});

describe("the Jinja subset", () => {
  const run = (template: string) => renderChat({ template }, []);

  it("supports loop variables, elif/else, filters length and trim, slicing, in, is defined, and comparisons", () => {
    const template =
      "{% for x in [1, 2, 3] %}{{ loop.index }}/{{ loop.length }}{% if loop.first %}F{% elif loop.last %}L{% else %}M{% endif %} {% endfor %}" +
      "|{{ [1, 2, 3] | length }}|{{ '  a b  ' | trim }}|{{ 'abcdef'[1:3] }}|{{ 'b' in 'abc' }}|{{ missing is defined }}|{{ 3 >= 2 and not false }}";
    expect(run(template)).toBe("1/3F 2/3M 3/3L |3|a b|bc|True|False|True");
  });

  it("supports set, namespace, macros, dict literals with items(), tojson, conditional expressions and comments", () => {
    const template =
      "{# a comment #}{% set ns = namespace(count=0) %}{% for x in range(4) if x is even %}{% set ns.count = ns.count + 1 %}{% endfor %}{{ ns.count }}" +
      "{% macro shout(word, mark='!') %}{{ word | upper }}{{ mark }}{% endmacro %} {{ shout('hey') }}" +
      " {% for key, value in {'a': 1, 'b': [true, none]}.items() %}{{ key }}={{ value | tojson }};{% endfor %}" +
      " {{ 'yes' if 1 + 1 == 2 else 'no' }} {{ 'x' ~ 1 ~ none }}";
    expect(run(template)).toBe("2 HEY! a=1;b=[true, null]; yes x1None");
  });

  it("passes keyword arguments to filters: tojson(indent=...), map(attribute=...), selectattr and default", () => {
    const template =
      "{{ {'a': [1, {}], 'b': 'é'} | tojson(indent=2) }}|{{ {'k': none} | tojson }}|" +
      "{{ [{'role': 'user'}, {'role': 'tool'}] | map(attribute='role') | join(',') }}|" +
      "{{ [{'role': 'user'}, {'role': 'tool'}] | selectattr('role', 'equalto', 'tool') | list | length }}|{{ '' | default('empty', true) }}";
    expect(run(template)).toBe('{\n  "a": [\n    1,\n    {}\n  ],\n  "b": "é"\n}|{"k": null}|user,tool|1|empty');
  });

  it("reports syntax errors and unsupported pieces as ChatTemplateError", () => {
    expect(() => run("{% for x in y %}no end")).toThrow(ChatTemplateError);
    expect(() => run("{{ 1 + }}")).toThrow(/expected an expression/);
    expect(() => run("{% include 'x' %}")).toThrow(/unsupported statement "include"/);
    expect(() => run("{{ 'a' | nosuchfilter }}")).toThrow(/unsupported filter/);
    expect(() => run("{{ 'a' + 1 }}")).toThrow(/cannot add/);
  });
});
