export { type Cassette, type ParsedCassette, parseCassette, requestHash } from "./cassette.js";
export { type ScriptedRequest, type ScriptedServer, startScriptedServer } from "./server.js";
export { type CassetteRecorder, startCassetteRecorder } from "./recorder.js";
