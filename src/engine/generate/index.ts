export { type BatchingOptions, DEFAULT_BLOCK_SIZE, DEFAULT_MAX_BATCHED_TOKENS, DEFAULT_MAX_SEQS, type ResolvedBatching } from "./options.js";
export { GenerationQueue, generate } from "./queue.js";
export { StopStringMatcher } from "./stop-strings.js";
export { GenerationAbortedError, GenerationRequestError, PromptTooLongError } from "./errors.js";
export type {
  FinishReason,
  GenerationEvent,
  GenerationModel,
  GenerationRequest,
  GenerationTokenizer,
  TokenLogprob,
  TokenLogprobs,
  Usage,
} from "./types.js";
