export { SchedulerRequest, type RequestStatus } from "./request.js";
export { type ScheduledChunk, Scheduler, type SchedulerCounters, type SchedulerOptions } from "./scheduler.js";
