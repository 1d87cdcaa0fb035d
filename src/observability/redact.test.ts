import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./log.js";
import { MASK, SecretRegistry, redact, redactKnownSecrets, redactText, registerEnvironmentSecrets, registerSecret, streamRedactor } from "./redact.js";

// Keys of no well-known format: the patterns alone let every one of them through.
const PLAIN = "zq7plainkey0f8e7d6c5b4a";
const SHORT_SK = "sk-short12"; // an sk- key too short for the sk- pattern
const ODD = 'k3y/with+"quotes"&<tags> and spaces';

describe("redaction by value", () => {
  it("masks a registered secret that no pattern recognises, in free text and nested records", () => {
    const registry = new SecretRegistry();
    expect(redactText(`value ${PLAIN}`, registry)).toContain(PLAIN); // not registered yet: the patterns miss it
    registerSecret(PLAIN, registry);
    registerSecret(SHORT_SK, registry);
    expect(redactText(`the server said ${PLAIN}; fallback ${SHORT_SK}.`, registry)).toBe(`the server said ${MASK}; fallback ${MASK}.`);
    const record = redact({ list: [`x${PLAIN}y`], nested: { message: SHORT_SK }, [PLAIN]: 1 }, registry);
    expect(JSON.stringify(record)).not.toContain(PLAIN);
    expect(JSON.stringify(record)).not.toContain(SHORT_SK);
  });

  it("masks the JSON-escaped (also twice), URL-encoded and HTML-escaped forms of a secret", () => {
    const registry = new SecretRegistry();
    registerSecret(ODD, registry);
    const once = JSON.stringify({ reply: `echo ${ODD}` });
    const twice = JSON.stringify({ body: once });
    const url = `https://host/x?key=${encodeURIComponent(ODD)}&form=${encodeURIComponent(ODD).replace(/%20/g, "+")}`;
    const html = `<td>k3y/with+&quot;quotes&quot;&amp;&lt;tags&gt; and spaces</td>`;
    for (const text of [once, twice, url, html, ODD]) {
      const masked = redactKnownSecrets(text, registry);
      expect(masked).toContain(MASK);
      expect(masked).not.toContain("quotes");
    }
    // Masking inside JSON keeps it valid JSON.
    expect(JSON.parse(JSON.parse(redactKnownSecrets(twice, registry)).body)).toEqual({ reply: `echo ${MASK}` });
  });

  it("ignores values shorter than the minimum length, so a short value cannot mask everything", () => {
    const registry = new SecretRegistry();
    for (const value of ["a", "1234", "abcdefg", "", undefined, "   padded   "]) registerSecret(value, registry);
    expect(registry.size).toBe(0);
    expect(redactText("a 1234 abcdefg padded", registry)).toBe("a 1234 abcdefg padded");
    registerSecret("  padded-secret  ", registry); // trimmed as a key file's newline would be
    expect(redactText("x padded-secret y", registry)).toBe(`x ${MASK} y`);
  });

  it("registers the provider variables and credential-named variables of an environment, and nothing else", () => {
    const registry = new SecretRegistry();
    registerEnvironmentSecrets(
      { OPENAI_API_KEY: "envkey-openai-1", MY_SERVICE_TOKEN: "envtoken-abcdef", DB_PASSWORD: "pw-0123456789", HOME: "/home/someone", PATH: "/usr/local/bin:/usr/bin", EDITOR: "vim" },
      registry,
    );
    expect(registry.size).toBe(3);
    expect(redactText("envkey-openai-1 envtoken-abcdef pw-0123456789 /home/someone /usr/local/bin", registry)).toBe(`${MASK} ${MASK} ${MASK} /home/someone /usr/local/bin`);
  });

  it("masks a secret split across streamed pieces, at any split point", () => {
    const registry = new SecretRegistry();
    registerSecret(PLAIN, registry);
    const text = `before ${PLAIN} middle ${PLAIN}after`;
    for (let size = 1; size <= text.length; size += 3) {
      const redactor = streamRedactor(registry);
      let out = "";
      for (let index = 0; index < text.length; index += size) out += redactor.push(text.slice(index, index + size));
      out += redactor.end();
      expect(out).toBe(`before ${MASK} middle ${MASK}after`);
    }
  });

  it("keeps secrets of one registry out of another (tests can isolate theirs)", () => {
    const mine = new SecretRegistry();
    registerSecret("only-in-mine-123", mine);
    expect(redactText("only-in-mine-123", new SecretRegistry())).toBe("only-in-mine-123");
    expect(redactText("only-in-mine-123", mine)).toBe(MASK);
  });

  it("reaches log lines through the process-wide registry", () => {
    const secret = `log-canary-${process.pid}-value`;
    const lines: string[] = [];
    const logger = createLogger({ level: "info", destination: new Writable({ write: (chunk, _encoding, callback) => (lines.push(String(chunk)), callback()) }) });
    registerSecret(secret);
    logger.info({ detail: `echo ${secret}`, nested: { list: [secret] } }, `message with ${secret}`);
    logger.error({ err: new Error(`failed with ${JSON.stringify({ key: secret })}`) }, "boom");
    expect(lines.join("")).not.toContain(secret);
    expect(lines.join("")).toContain(MASK);
  });
});
