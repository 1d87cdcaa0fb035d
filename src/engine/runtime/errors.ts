import { PyAgentError } from "../../core/errors.js";

/** The GGUF file is readable but is not a model this runtime can run (architecture, missing tensor, shapes). */
export class ModelFormatError extends PyAgentError {
  override readonly name = "ModelFormatError";
}

/** Weights plus KV cache need more memory than is available; the message names the numbers. */
export class ModelTooLargeError extends PyAgentError {
  override readonly name = "ModelTooLargeError";
}

/** A sequence was asked to hold more tokens than its KV cache has room for, or a bad token id. */
export class SequenceError extends PyAgentError {
  override readonly name = "SequenceError";
}
