import { PyAgentError } from "../../core/index.js";

/** A sampling parameter is out of range; the message names the parameter and its allowed range. */
export class SamplingOptionsError extends PyAgentError {
  override readonly name = "SamplingOptionsError";
  override readonly exitCode = 2;
}
