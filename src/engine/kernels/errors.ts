import { PyAgentError } from "../../core/errors.js";

/** A kernel was called with shapes or a tensor type it cannot handle; the message names them. */
export class KernelError extends PyAgentError {
  override readonly name = "KernelError";
}
