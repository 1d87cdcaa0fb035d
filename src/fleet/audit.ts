import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { redact } from "../observability/index.js";
import { AuditTamperedError } from "./errors.js";

/** The `prev` of the first record. */
export const AUDIT_GENESIS = "0".repeat(64);

export interface AuditRecord {
  seq: number;
  time: string;
  type: string;
  data: unknown;
  prev: string;
  hash: string;
}

const RecordSchema = z.object({ seq: z.number().int().positive(), time: z.string(), type: z.string(), data: z.unknown(), prev: z.string(), hash: z.string() }).strict();

/** `PATH/.pyagent/audit/<run-id>.jsonl` */
export function auditPath(stateDirectory: string, runId: string): string {
  return join(stateDirectory, "audit", `${runId}.jsonl`);
}

/** JSON with object keys sorted at every depth: the bytes that are hashed. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
}

/** sha256 of the canonical record without its own hash (the previous hash is included). */
export function recordHash(record: Omit<AuditRecord, "hash">): string {
  return createHash("sha256").update(canonicalJson({ seq: record.seq, time: record.time, type: record.type, data: record.data, prev: record.prev })).digest("hex");
}

/**
 * An append-only, hash-chained JSONL trail: each record holds the previous record's hash, so an
 * edit, insertion or deletion anywhere breaks the chain; the journal keeps the last (seq, hash)
 * so truncating the tail is detected too. Data is redacted before it is written.
 */
export class AuditTrail {
  private seq: number;
  private last: string;

  private constructor(
    readonly path: string,
    seq: number,
    last: string,
    private readonly onAppend: (seq: number, hash: string) => void,
  ) {
    this.seq = seq;
    this.last = last;
  }

  /**
   * Opens (or creates) a trail for appending. A torn last line (the process was killed inside a
   * write) is cut off: it was never a complete record. A broken chain is refused.
   */
  static open(path: string, onAppend: (seq: number, hash: string) => void = () => {}): AuditTrail {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) return new AuditTrail(path, 0, AUDIT_GENESIS, onAppend);
    let text = readFileSync(path, "utf8");
    if (text.length > 0 && !text.endsWith("\n")) {
      const keep = text.lastIndexOf("\n") + 1;
      truncateSync(path, Buffer.byteLength(text.slice(0, keep)));
      text = text.slice(0, keep);
    }
    const verdict = verifyAuditText(text);
    if (!verdict.ok) throw new AuditTamperedError(`audit trail ${path} is broken at line ${verdict.line}: ${verdict.message}; it was changed outside PyAgent, so this run cannot be continued or merged: start a new run (the run branch keeps its commits)`, { path, line: verdict.line });
    return new AuditTrail(path, verdict.records, verdict.lastHash, onAppend);
  }

  /**
   * Checks the trail against the head the journal recorded. A kill between writing a record and
   * recording it leaves the trail exactly one record ahead: that is taken as the head. Anything
   * else (records missing, or more than one extra) means the trail was tampered with: refused.
   */
  agreeWith(journalHead: { seq: number; hash: string }): void {
    if (this.seq === journalHead.seq && (journalHead.seq === 0 || this.last === journalHead.hash)) return;
    if (this.seq === journalHead.seq + 1) {
      const lines = readFileSync(this.path, "utf8").split("\n");
      const previous = journalHead.seq === 0 ? undefined : (JSON.parse(lines[journalHead.seq - 1]!) as AuditRecord);
      if (journalHead.seq === 0 || previous?.hash === journalHead.hash) {
        this.onAppend(this.seq, this.last);
        return;
      }
    }
    throw new AuditTamperedError(`audit trail ${this.path} has ${this.seq} records but the run journal recorded ${journalHead.seq}: it was changed outside PyAgent (see 'pyagent audit verify'), so this run cannot be continued or merged: start a new run (the run branch keeps its commits)`, { path: this.path });
  }

  get head(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.last };
  }

  append(type: string, data: unknown): AuditRecord {
    const body = { seq: this.seq + 1, time: new Date().toISOString(), type, data: redact(data) ?? null, prev: this.last };
    const record: AuditRecord = { ...body, hash: recordHash(body) };
    // One write call per record: a kill leaves either the whole line or a torn tail `open` cuts off.
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
    this.seq = record.seq;
    this.last = record.hash;
    this.onAppend(record.seq, record.hash);
    return record;
  }
}

export type AuditVerdict = { ok: true; records: number; lastHash: string } | { ok: false; line: number; message: string };

/** Checks every line: schema, consecutive seq, prev = previous hash, hash = sha256 of the record. */
export function verifyAuditText(text: string, expectedHead?: { seq: number; hash: string }): AuditVerdict {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let prev = AUDIT_GENESIS;
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    let record: AuditRecord;
    try {
      record = RecordSchema.parse(JSON.parse(lines[index]!)) as AuditRecord;
    } catch {
      return { ok: false, line, message: "not a valid audit record" };
    }
    if (record.seq !== line) return { ok: false, line, message: `seq ${record.seq} where ${line} was expected (a record was inserted or deleted)` };
    if (record.prev !== prev) return { ok: false, line, message: "prev does not match the previous record's hash (a record was changed, inserted or deleted)" };
    if (recordHash(record) !== record.hash) return { ok: false, line, message: "hash does not match the record's content (the record was edited)" };
    prev = record.hash;
  }
  if (expectedHead && expectedHead.seq > 0) {
    if (lines.length < expectedHead.seq) return { ok: false, line: lines.length + 1, message: `the trail ends at record ${lines.length} but the run journal recorded ${expectedHead.seq} (records were deleted)` };
    const at = JSON.parse(lines[expectedHead.seq - 1]!) as AuditRecord;
    if (at.hash !== expectedHead.hash) return { ok: false, line: expectedHead.seq, message: "record differs from the one the run journal recorded" };
    if (lines.length > expectedHead.seq) return { ok: false, line: expectedHead.seq + 1, message: `records after the last one the run journal recorded (${expectedHead.seq})` };
  }
  return { ok: true, records: lines.length, lastHash: prev };
}

export function verifyAuditFile(path: string, expectedHead?: { seq: number; hash: string }): AuditVerdict {
  if (!existsSync(path)) return { ok: false, line: 0, message: `no audit trail at ${path}` };
  return verifyAuditText(readFileSync(path, "utf8"), expectedHead);
}
