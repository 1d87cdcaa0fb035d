import { PyAgentError } from "../../core/index.js";

/** A GGUF file is missing, truncated, malformed, or uses something this reader does not support. */
export class GgufError extends PyAgentError {
  override readonly name = "GgufError";
}
