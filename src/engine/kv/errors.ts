import { PyAgentError } from "../../core/errors.js";

/** The KV pool was misused (a block released twice, a pool too small to be useful); a bug or a bad option. */
export class KvCacheError extends PyAgentError {
  override readonly name = "KvCacheError";
}
