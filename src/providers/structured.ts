import { z } from "zod";
import type { ChatMessage, JsonSchema } from "./types.js";

/** Extra attempts after the first when a reply is not valid JSON for the schema. */
export const JSON_REPAIR_ATTEMPTS = 2;

export type JsonCheck = { ok: true; value: unknown } | { ok: false; problem: string };

/**
 * Parses a model's reply as JSON and validates it against the schema. Tolerates what models wrap
 * JSON in (a ```json fence, prose before or after): the first balanced object or array is taken.
 */
export function checkJsonReply(text: string, schema: JsonSchema): JsonCheck {
  const candidate = extractJson(text);
  if (candidate === undefined) return { ok: false, problem: "the reply contains no JSON object or array" };
  let value: unknown;
  try {
    value = JSON.parse(candidate); // validated by the schema right below (STYLE rule 14)
  } catch (error) {
    return { ok: false, problem: `the JSON does not parse: ${(error as Error).message}` };
  }
  const validated = validatorFor(schema).safeParse(value);
  if (validated.success) return { ok: true, value: validated.data };
  const issue = validated.error.issues[0];
  return { ok: false, problem: `the JSON does not match the schema at ${issue?.path.length ? issue.path.join(".") : "the top level"}: ${issue?.message ?? "invalid"}` };
}

const validators = new WeakMap<JsonSchema, z.ZodType>();

function validatorFor(schema: JsonSchema): z.ZodType {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    validators.set(schema, validator);
  }
  return validator;
}

function extractJson(text: string): string | undefined {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/i.exec(text);
  const source = fenced ? fenced[1]! : text;
  const start = source.search(/[[{]/);
  if (start < 0) return undefined;
  // Scan for the bracket that closes the first one, skipping brackets inside strings.
  const stack: string[] = [];
  let inString = false;
  for (let index = start; index < source.length; index++) {
    const char = source[index]!;
    if (inString) {
      if (char === "\\") index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "{" || char === "[") stack.push(char === "{" ? "}" : "]");
    else if (char === "}" || char === "]") {
      if (stack.pop() !== char) return source.slice(start, index + 1);
      if (stack.length === 0) return source.slice(start, index + 1);
    }
  }
  return source.slice(start); // unbalanced: let JSON.parse say what is wrong
}

/**
 * The fallback for servers without JSON-schema output: the schema goes into the prompt as a
 * system instruction, and the reply is validated here.
 */
export function withJsonInstruction(messages: ChatMessage[], schema: JsonSchema): ChatMessage[] {
  const instruction = `Reply with only a JSON value (no prose, no code fence) that matches this JSON schema:\n${JSON.stringify(schema)}`;
  return [{ role: "system", content: instruction }, ...messages];
}

/** The follow-up turn asking the model to fix its previous reply. */
export function repairTurn(previous: string, problem: string): ChatMessage[] {
  return [
    { role: "assistant", content: previous },
    { role: "user", content: `Your reply was not usable: ${problem}. Reply again with only the corrected JSON value that matches the schema.` },
  ];
}
