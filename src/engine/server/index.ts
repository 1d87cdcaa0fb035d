export { createEngineServer, type EngineServer, type EngineServerOptions, type ChatMessage } from "./server.js";
export { ApiError, type ApiErrorType } from "./errors.js";
