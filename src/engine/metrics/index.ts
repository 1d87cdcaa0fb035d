export { type EngineSnapshot, type EngineState, EngineMetrics } from "./engine-metrics.js";
