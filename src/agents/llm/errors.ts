import { PyAgentError } from "../../core/index.js";

/** Base error of the LLM agents. */
export class LlmAgentError extends PyAgentError {
  override readonly name: string = "LlmAgentError";
}

/** A prompt file is missing or malformed (front matter without `name` and `version`). Reinstall PyAgent or fix the file. */
export class PromptFileError extends LlmAgentError {
  override readonly name = "PromptFileError";
  override readonly exitCode = 70;
}
