import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { PyAgentError, StateVersionError } from "../../core/index.js";
import type { CodeGraph } from "../graph/types.js";

/** Schema version of the store; readers refuse a newer one rather than guess. */
export const STORE_SCHEMA_VERSION = 1;
const READABLE_VERSIONS = new Set([1]);
/** The graph tables' indexes; dropped while a graph is written (clearGraph) and built once at its end (finishGraph). */
const GRAPH_INDEXES = `
  CREATE INDEX IF NOT EXISTS graph_definitions_module ON graph_definitions(module);
  CREATE INDEX IF NOT EXISTS graph_imports_module ON graph_imports(module);
  CREATE INDEX IF NOT EXISTS graph_imports_target ON graph_imports(target);
  CREATE INDEX IF NOT EXISTS graph_calls_module ON graph_calls(module);`;
const DROP_GRAPH_INDEXES = "DROP INDEX IF EXISTS graph_definitions_module; DROP INDEX IF EXISTS graph_imports_module; DROP INDEX IF EXISTS graph_imports_target; DROP INDEX IF EXISTS graph_calls_module;";
/** Rows per multi-row INSERT of the graph tables (at most 5 columns: far under SQLite's 32,766 parameters). */
const ROWS_PER_INSERT = 64;

export class StoreError extends PyAgentError {
  override readonly name = "StoreError";
}

/** What the store keeps for each analyzed file: enough to skip it next time when it has not changed. */
export interface FileRecord {
  path: string;
  hash: string;
  size: number;
  mtimeMs: number;
  /** Serialized per-file analysis; opaque to the store. */
  payload: string;
  /** Serialized facts for project-wide analysis, kept apart so they are parsed only when needed. */
  facts: string;
}

/**
 * The project's SQLite store under `.pyagent/` (or a folder the user names): file records for
 * incremental analysis, the code graph, and small metadata. One writer per process.
 */
export class SqliteStore {
  readonly db: Database.Database;

  private constructor(db: Database.Database) {
    this.db = db;
  }

  static open(directory: string): SqliteStore {
    try {
      mkdirSync(directory, { recursive: true });
      // The store must never show up in the user's `git status`.
      const ignoreFile = join(directory, ".gitignore");
      if (!existsSync(ignoreFile)) writeFileSync(ignoreFile, "*\n");
    } catch (error) {
      throw new StoreError(`cannot create the store folder ${directory}: ${(error as Error).message}`, { directory });
    }
    let db: Database.Database;
    try {
      db = new Database(join(directory, "pyagent.db"));
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
    } catch (error) {
      throw new StoreError(`cannot open the store in ${directory}: ${(error as Error).message}`, { directory });
    }
    const store = new SqliteStore(db);
    store.migrate();
    return store;
  }

  private migrate(): void {
    this.db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    if (row) {
      const version = Number(row.value);
      if (!READABLE_VERSIONS.has(version)) {
        throw new StateVersionError(
          `the store was written by a newer PyAgent (schema ${row.value}; this one reads ${[...READABLE_VERSIONS].join(", ")}): upgrade PyAgent or remove the store folder`,
          { version: row.value },
        );
      }
      return;
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, hash TEXT NOT NULL, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, payload TEXT NOT NULL, facts TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS graph_modules (name TEXT PRIMARY KEY, path TEXT NOT NULL, is_package INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS graph_definitions (module TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, line INTEGER NOT NULL, end_line INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS graph_imports (module TEXT NOT NULL, target TEXT NOT NULL, line INTEGER NOT NULL, internal INTEGER NOT NULL, conditional INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS graph_calls (module TEXT NOT NULL, caller TEXT NOT NULL, callee TEXT NOT NULL, line INTEGER NOT NULL);
      ${GRAPH_INDEXES}
    `);
    this.setMeta("schema_version", String(STORE_SCHEMA_VERSION));
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /** Every file record, keyed by path. */
  readFileRecords(): Map<string, FileRecord> {
    const rows = this.db.prepare("SELECT path, hash, size, mtime_ms AS mtimeMs, payload, facts FROM files").all() as FileRecord[];
    return new Map(rows.map((row) => [row.path, row]));
  }

  /** Writes changed records and forgets files that are gone, in one transaction. */
  updateFileRecords(changed: FileRecord[], removedPaths: string[]): void {
    const upsert = this.db.prepare(
      "INSERT INTO files (path, hash, size, mtime_ms, payload, facts) VALUES (@path, @hash, @size, @mtimeMs, @payload, @facts) ON CONFLICT(path) DO UPDATE SET hash = excluded.hash, size = excluded.size, mtime_ms = excluded.mtime_ms, payload = excluded.payload, facts = excluded.facts",
    );
    const remove = this.db.prepare("DELETE FROM files WHERE path = ?");
    this.db.transaction(() => {
      for (const record of changed) upsert.run(record);
      for (const path of removedPaths) remove.run(path);
    })();
  }

  clearFileRecords(): void {
    this.db.exec("DELETE FROM files");
  }

  /**
   * Replaces the stored code graph with `graph`, atomically. The indexes are built once after the
   * rows are in (a sort), not row by row (measured on the stdlib's 86k rows: ~25% less time).
   */
  replaceGraph(graph: CodeGraph): void {
    this.db.transaction(() => {
      this.clearGraph();
      this.finishGraph(graph);
    })();
  }

  /**
   * Starts a graph written in parts, while the files are still being analyzed: drops the graph's
   * rows and indexes. Add rows with appendGraphRows, end with finishGraph; readers must not trust
   * the graph in between (the caller records which graph is current only after finishGraph).
   */
  clearGraph(): void {
    this.db.transaction(() => {
      this.db.exec(DROP_GRAPH_INDEXES);
      this.db.exec("DELETE FROM graph_modules; DELETE FROM graph_definitions; DELETE FROM graph_imports; DELETE FROM graph_calls;");
    })();
  }

  /** Adds rows of any graph table (a part of a graph begun with clearGraph). */
  appendGraphRows(rows: Partial<CodeGraph>): void {
    this.db.transaction(() => {
      this.insertRows("graph_modules", ["name", "path", "is_package"], rows.modules ?? [], (module) => [module.name, module.path, module.isPackage ? 1 : 0]);
      this.insertRows("graph_definitions", ["module", "name", "kind", "line", "end_line"], rows.definitions ?? [], (definition) => [
        definition.module,
        definition.name,
        definition.kind,
        definition.line,
        definition.endLine,
      ]);
      this.insertRows("graph_imports", ["module", "target", "line", "internal", "conditional"], rows.imports ?? [], (edge) => [
        edge.module,
        edge.target,
        edge.line,
        edge.internal ? 1 : 0,
        edge.conditional ? 1 : 0,
      ]);
      this.insertRows("graph_calls", ["module", "caller", "callee", "line"], rows.calls ?? [], (call) => [call.module, call.caller, call.callee, call.line]);
    })();
  }

  /** Adds the last rows of a graph begun with clearGraph and builds its indexes. */
  finishGraph(rows: Partial<CodeGraph>): void {
    this.db.transaction(() => {
      this.appendGraphRows(rows);
      this.db.exec(GRAPH_INDEXES);
    })();
  }

  /**
   * Inserts `rows` in order, ROWS_PER_INSERT rows per statement and the rest in one statement: one
   * statement call per row costs more than SQLite's own work for these small rows (measured on the
   * stdlib's 55k calls: ~35% less CPU for the graph write). Statements are prepared once per shape.
   */
  private insertRows<Row>(table: string, columns: string[], rows: Row[], values: (row: Row) => Array<string | number>): void {
    const parameters: Array<string | number> = [];
    for (let index = 0; index < rows.length; index += ROWS_PER_INSERT) {
      const count = Math.min(ROWS_PER_INSERT, rows.length - index);
      parameters.length = 0;
      for (let offset = 0; offset < count; offset++) parameters.push(...values(rows[index + offset] as Row));
      this.insertStatement(table, columns, count).run(parameters);
    }
  }

  private readonly insertStatements = new Map<string, Database.Statement>();

  private insertStatement(table: string, columns: string[], count: number): Database.Statement {
    const key = `${table}\u0000${count}`;
    let statement = this.insertStatements.get(key);
    if (!statement) {
      const tuple = `(${columns.map(() => "?").join(", ")})`;
      statement = this.db.prepare(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${Array(count).fill(tuple).join(", ")}`);
      this.insertStatements.set(key, statement);
    }
    return statement;
  }

  readGraph(): CodeGraph {
    type ModuleRow = { name: string; path: string; is_package: number };
    type ImportRow = { module: string; target: string; line: number; internal: number; conditional: number };
    const modules = (this.db.prepare("SELECT name, path, is_package FROM graph_modules ORDER BY name").all() as ModuleRow[]).map((row) => ({
      name: row.name,
      path: row.path,
      isPackage: row.is_package === 1,
    }));
    const definitions = this.db.prepare("SELECT module, name, kind, line, end_line AS endLine FROM graph_definitions ORDER BY module, line").all() as CodeGraph["definitions"];
    const imports = (this.db.prepare("SELECT module, target, line, internal, conditional FROM graph_imports ORDER BY module, line").all() as ImportRow[]).map((row) => ({
      module: row.module,
      target: row.target,
      line: row.line,
      internal: row.internal === 1,
      conditional: row.conditional === 1,
    }));
    const calls = this.db.prepare("SELECT module, caller, callee, line FROM graph_calls ORDER BY module, line").all() as CodeGraph["calls"];
    return { modules, definitions, imports, calls };
  }

  close(): void {
    this.db.close();
  }
}
