export { Sampler } from "./sampler.js";
export { type SamplingOptions, type ResolvedSamplingOptions, resolveSamplingOptions } from "./options.js";
export { Prng, randomSeed } from "./prng.js";
export { SamplingOptionsError } from "./errors.js";
