import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AuditTrail, verifyAuditFile } from "../../src/fleet/index.js";
import { removeTempDirs, tempDir } from "./repo.js";

function trail(records = 5) {
  const path = join(tempDir("pyagent-audit-"), "run.jsonl");
  let head = { seq: 0, hash: "" };
  const audit = AuditTrail.open(path, (seq, hash) => (head = { seq, hash }));
  for (let index = 0; index < records; index++) audit.append("task-state", { taskId: `t${index}`, state: "committed" });
  return { path, head: () => head, lines: () => readFileSync(path, "utf8").split("\n").filter(Boolean) };
}

afterAll(removeTempDirs);

describe("hash-chained audit trail", () => {
  it("verifies an untouched trail and matches the head the journal keeps", () => {
    const { path, head } = trail();
    expect(verifyAuditFile(path, head())).toEqual({ ok: true, records: 5, lastHash: head().hash });
  });

  it("detects an edited record at its line", () => {
    const { path, head, lines } = trail();
    const edited = lines();
    edited[2] = edited[2]!.replace('"committed"', '"failed"');
    writeFileSync(path, edited.join("\n") + "\n");
    expect(verifyAuditFile(path, head())).toMatchObject({ ok: false, line: 3, message: expect.stringMatching(/edited/) });
  });

  it("detects a deleted record in the middle and at the end", () => {
    const middle = trail();
    writeFileSync(middle.path, middle.lines().filter((_, index) => index !== 1).join("\n") + "\n");
    expect(verifyAuditFile(middle.path, middle.head())).toMatchObject({ ok: false, line: 2 });
    const end = trail();
    writeFileSync(end.path, end.lines().slice(0, 4).join("\n") + "\n");
    expect(verifyAuditFile(end.path, end.head())).toMatchObject({ ok: false, line: 5, message: expect.stringMatching(/deleted/) });
  });

  it("detects an inserted record, even one with a valid-looking hash chain after it", () => {
    const { path, head, lines } = trail();
    const copy = lines();
    copy.splice(2, 0, copy[1]!);
    writeFileSync(path, copy.join("\n") + "\n");
    expect(verifyAuditFile(path, head())).toMatchObject({ ok: false, line: 3 });
  });

  it("masks secrets before they reach the trail", () => {
    const { path } = trail(0);
    AuditTrail.open(path).append("task-state", { reason: "failed: api_key=sk-abcdefghijklmnopqrstuvwx", token: "hunter2hunter2" });
    const text = readFileSync(path, "utf8");
    expect(text).not.toContain("sk-abcdefghijklmnopqrstuvwx");
    expect(text).not.toContain("hunter2hunter2");
    expect(verifyAuditFile(path).ok).toBe(true);
  });

  it("cuts a torn last line (a kill inside a write) and keeps the chain going", () => {
    const { path, lines } = trail(3);
    writeFileSync(path, lines().join("\n") + '\n{"seq":4,"ti');
    const reopened = AuditTrail.open(path);
    expect(reopened.head.seq).toBe(3);
    reopened.append("run-resume", {});
    expect(verifyAuditFile(path)).toMatchObject({ ok: true, records: 4 });
  });

  it("on reopening, accepts a trail one record ahead of the journal (a kill between the two writes) and refuses missing records", () => {
    const { path, head, lines } = trail(4);
    const recorded = head();
    const ahead = AuditTrail.open(path, () => {});
    expect(() => ahead.agreeWith(recorded)).not.toThrow();
    const third = JSON.parse(lines()[2]!);
    let synced = { seq: 0, hash: "" };
    const oneAhead = AuditTrail.open(path, (seq, hash) => (synced = { seq, hash }));
    oneAhead.agreeWith({ seq: 3, hash: third.hash });
    expect(synced).toEqual(recorded);
    writeFileSync(path, lines().slice(0, 2).join("\n") + "\n");
    expect(() => AuditTrail.open(path).agreeWith(recorded)).toThrowError(/has 2 records but the run journal recorded 4/);
  });
});
