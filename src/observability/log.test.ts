import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./log.js";
import { redactText } from "./redact.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: "info", destination }) };
}

describe("structured logging", () => {
  it("writes JSON records with the message and fields", () => {
    const { lines, logger } = capture();
    logger.info({ files: 3 }, "analysis done");
    const record = JSON.parse(lines[0]!);
    expect(record.msg).toBe("analysis done");
    expect(record.files).toBe(3);
  });

  it("masks secrets by key name at any depth", () => {
    const { lines, logger } = capture();
    logger.info({ provider: { apiKey: "abc123secretvalue", headers: { Authorization: "Bearer zzzzzzzzzz" } }, password: "hunter22" }, "call");
    const text = lines.join("");
    expect(text).not.toContain("abc123secretvalue");
    expect(text).not.toContain("zzzzzzzzzz");
    expect(text).not.toContain("hunter22");
    expect(text).toContain("[REDACTED]");
  });

  it("masks secrets inside messages, free-text fields and errors", () => {
    const { lines, logger } = capture();
    logger.info({ detail: "curl -H 'Authorization: Bearer tok_9f8e7d6c5b4a' https://user:pa55word@host/x" }, "request with key sk-abcdefghijklmnopqrstuv failed");
    logger.error({ err: new Error("login failed: password=swordfish99") }, "boom");
    const text = lines.join("");
    for (const secret of ["tok_9f8e7d6c5b4a", "pa55word", "sk-abcdefghijklmnopqrstuv", "swordfish99"]) expect(text).not.toContain(secret);
  });

  it("leaves ordinary text alone", () => {
    expect(redactText("parsed 12 files in 0.3 s; tokenizer ok")).toBe("parsed 12 files in 0.3 s; tokenizer ok");
  });

  it("costs nothing when silent", () => {
    const { lines } = capture();
    const silent = createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, cb) => { lines.push("x"); cb(); } }) });
    silent.error("should not appear");
    expect(lines).toHaveLength(0);
  });
});
