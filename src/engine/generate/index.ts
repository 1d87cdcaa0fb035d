export { GenerationQueue, generate } from "./queue.js";
export { StopStringMatcher } from "./stop-strings.js";
export { GenerationAbortedError, GenerationRequestError, PromptTooLongError } from "./errors.js";
export type {
  FinishReason,
  GenerationEvent,
  GenerationModel,
  GenerationRequest,
  GenerationSequence,
  GenerationTokenizer,
  TokenLogprob,
  TokenLogprobs,
  Usage,
} from "./types.js";
