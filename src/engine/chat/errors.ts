import { PyAgentError } from "../../core/index.js";

/** A chat template failed to parse or render (including its own raise_exception). */
export class ChatTemplateError extends PyAgentError {
  override readonly name = "ChatTemplateError";
}
