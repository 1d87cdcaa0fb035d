import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { configTableMarkdown } from "../src/core/config-docs.js";

const readme = readFileSync(resolve(import.meta.dirname, "../README.md"), "utf8");

describe("README", () => {
  it("documents every configuration key exactly as the schema defines it", () => {
    expect(readme).toContain(configTableMarkdown());
  });

  it("opens with exactly two set-up commands: the main job on a real target, then the tests", () => {
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!.trim());
    expect(blocks[0]).toBe("npm install && npx pyagent analyze /usr/lib/python3.11 --store .pyagent/stdlib");
    expect(blocks[1]).toBe("npm test");
  });
});
