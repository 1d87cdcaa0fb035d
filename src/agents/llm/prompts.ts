import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PromptFileError } from "./errors.js";

/** A versioned prompt file (`prompts/<name>.v<version>.md`): front matter, then a template body. */
export interface PromptTemplate {
  name: string;
  version: number;
  /** `<name>.v<version>`: recorded with every call so a run says which prompt produced what. */
  id: string;
  body: string;
}

/** The repository's `prompts/` folder, found upward from this module (src/ and dist/ alike). */
export function promptsDirectory(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(directory, "prompts");
    if (existsSync(join(candidate, "director.v1.md"))) return candidate;
    directory = dirname(directory);
  }
  throw new PromptFileError("the prompts/ folder was not found next to PyAgent's sources; reinstall PyAgent");
}

const loaded = new Map<string, PromptTemplate>();

/** Loads `prompts/<name>.v<version>.md` (cached per process); the front matter must agree with the file name. */
export function loadPrompt(name: string, version = 1, directory = promptsDirectory()): PromptTemplate {
  const file = join(directory, `${name}.v${version}.md`);
  const cached = loaded.get(file);
  if (cached) return cached;
  if (!existsSync(file)) throw new PromptFileError(`prompt file ${file} is missing`);
  const text = readFileSync(file, "utf8");
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!match) throw new PromptFileError(`${file}: no front matter (--- name / version ---)`);
  const fields = new Map(match[1]!.split("\n").map((line) => line.split(":").map((part) => part.trim()) as [string, string]));
  if (fields.get("name") !== name || Number(fields.get("version")) !== version) {
    throw new PromptFileError(`${file}: front matter says ${fields.get("name")} v${fields.get("version")}, expected ${name} v${version}`);
  }
  const template: PromptTemplate = { name, version, id: `${name}.v${version}`, body: match[2]!.trim() };
  loaded.set(file, template);
  return template;
}

/**
 * Fills `{{key}}` placeholders in one pass, so a value that itself contains `{{...}}` (text from the
 * repository) is never expanded. An unknown placeholder is a bug in the caller: it throws.
 */
export function renderPrompt(template: PromptTemplate, values: Record<string, string | number>): string {
  return template.body.replace(/\{\{([a-z_]+)\}\}/g, (_whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new PromptFileError(`prompt ${template.id} needs {{${key}}}, which the caller did not give`);
    return String(value);
  });
}
