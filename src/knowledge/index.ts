export { SqliteStore, StoreError, STORE_SCHEMA_VERSION, type FileRecord } from "./store/sqlite-store.js";
export type { CodeGraph } from "./graph/types.js";
