import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { ConfigError } from "./errors.js";

function project(pyproject?: string): string {
  const root = mkdtempSync(join(tmpdir(), "pyagent-config-"));
  if (pyproject !== undefined) writeFileSync(join(root, "pyproject.toml"), pyproject);
  return root;
}

describe("configuration from [tool.pyagent]", () => {
  it("uses the schema defaults when there is no pyproject.toml", () => {
    const config = loadConfig(project());
    expect(config.maxModuleLines).toBe(500);
    expect(config.maxComplexity).toBe(25);
    expect(config.exclude).toEqual([]);
  });

  it("reads kebab-case keys from [tool.pyagent] and ignores other tools' sections", () => {
    const config = loadConfig(project('[tool.black]\nline-length = 100\n[tool.pyagent]\nmax-complexity = 12\nexclude = ["generated/"]\n'));
    expect(config.maxComplexity).toBe(12);
    expect(config.exclude).toEqual(["generated/"]);
  });

  it("lets CLI flags override the file", () => {
    const config = loadConfig(project("[tool.pyagent]\nmax-complexity = 12\n"), { maxComplexity: 40 });
    expect(config.maxComplexity).toBe(40);
  });

  it("rejects an unknown key with an error naming it", () => {
    expect(() => loadConfig(project("[tool.pyagent]\nmax-complexty = 12\n"))).toThrowError(/tool\.pyagent\.max-complexty/);
  });

  it("rejects a value of the wrong type with an error naming the key", () => {
    try {
      loadConfig(project('[tool.pyagent]\nmax-module-lines = "many"\n'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain("tool.pyagent.max-module-lines");
      expect((error as ConfigError).exitCode).toBe(2);
    }
  });

  it("rejects a pyproject.toml that is not TOML", () => {
    expect(() => loadConfig(project("[tool.pyagent\nx = "))).toThrowError(/not valid TOML/);
  });

  it("names the flag when an override is invalid", () => {
    expect(() => loadConfig(project(), { minConfidence: 150 })).toThrowError(/--min-confidence/);
  });

  it("says what each kind of value must be", () => {
    expect(() => loadConfig(project('[tool.pyagent]\nexclude = "build/"\n'))).toThrowError(/tool\.pyagent\.exclude in pyproject\.toml: expected a list of strings, got "build\/"/);
    expect(() => loadConfig(project("[tool.pyagent]\ninclude-ignored = 1\n"))).toThrowError(/include-ignored .*expected true or false, got 1/);
    expect(() => loadConfig(project("[tool.pyagent]\nmax-complexity = 2.5\n"))).toThrowError(/expected an integer >= 1, got 2.5/);
    expect(() => loadConfig(project("[tool.pyagent]\nstore = 3\n"))).toThrowError(/tool\.pyagent\.store .*expected a string, got 3/);
    expect(() => loadConfig(project(), { minConfidence: -1 })).toThrowError(/--min-confidence: expected an integer from 0 to 100, got -1/);
  });

  it("gives each run its own copy of a default list", () => {
    const first = loadConfig(project());
    first.exclude.push("changed/");
    expect(loadConfig(project()).exclude).toEqual([]);
  });
});
