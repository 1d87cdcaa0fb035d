import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parserFixture } from "../findings/test-support.js";
import type { ModuleFacts } from "../types.js";
import { decodeFacts, encodeFacts } from "./facts-codec.js";

const fixture = parserFixture();

describe("encodeFacts / decodeFacts", () => {
  it("round-trips every kind of fact, optional fields present exactly when they were", () => {
    const source = [
      "import os, sys as system",
      "from .models import Model, helper",
      "__all__ = ['Model', 'run']",
      "class Base(Generic[T], metaclass=Meta):",
      "    attribute = 1",
      "    @property",
      "    def value(self):",
      "        return self.attribute",
      "@dataclass",
      "class Record(Base):",
      "    name: str = 'x'",
      "@register",
      "def run(x):",
      "    y = helper(x)",
      "    return getattr(system, 'visit_' + x)(os.path.join('a', y))",
      "",
    ].join("\n");
    const facts = fixture.facts(source);
    expect(facts.definitions.some((definition) => definition.startLine !== undefined)).toBe(true);
    expect(facts.definitions.some((definition) => definition.bases !== undefined && definition.startLine === undefined)).toBe(true);
    expect(facts.calls.length).toBeGreaterThan(2);
    expect(decodeFacts(encodeFacts(facts))).toStrictEqual(facts);
  });

  it("round-trips the facts of real modules, and takes fewer bytes than plain JSON", () => {
    for (const path of ["/usr/lib/python3.11/dataclasses.py", "/usr/lib/python3.11/json/encoder.py", "/usr/lib/python3.11/unittest/case.py"]) {
      const facts = fixture.facts(readFileSync(path, "utf8"));
      const encoded = encodeFacts(facts);
      expect(decodeFacts(encoded)).toStrictEqual(facts);
      expect(encoded.length).toBeLessThan(JSON.stringify(facts).length * 0.7);
    }
  });

  it("keeps absent optional lists absent and a missing __all__ null", () => {
    const facts: ModuleFacts = { definitions: [], imports: [], usedNames: ["a"], calls: [], dunderAll: null };
    expect(decodeFacts(encodeFacts(facts))).toStrictEqual(facts);
  });

  it("refuses facts written in another format instead of misreading them", () => {
    expect(() => decodeFacts(JSON.stringify([99, [], [], [], [], null, null, null, null]))).toThrow(/format 99/);
  });
});
