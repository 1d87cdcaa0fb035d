import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * DESIGN.md's import arrows, as the parts each part may import. `interface/` sits on top and may
 * import anything; everyone may import `core/` and `observability/`.
 */
const ALLOWED: Record<string, string[]> = {
  core: [],
  observability: ["core"],
  python: ["core", "observability"],
  knowledge: ["core", "observability"],
  engine: ["core", "observability"],
  providers: ["core", "observability"],
  agents: ["core", "observability", "providers", "python", "knowledge"],
  fleet: ["core", "observability", "agents", "providers", "python", "knowledge"],
  interface: ["core", "observability", "python", "knowledge", "engine", "providers", "agents", "fleet"],
};

const SRC = resolve(import.meta.dirname, "../src");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) found.push((match[1] ?? match[2] ?? match[3])!);
  return found;
}

function partOf(path: string): string {
  return relative(SRC, path).split("/")[0]!;
}

describe("DESIGN.md import arrows", () => {
  const files = sourceFiles(SRC).filter((file) => !file.endsWith(".test.ts"));

  it("every top-level folder of src/ is a known part", () => {
    const parts = new Set(files.map(partOf));
    for (const part of parts) expect(Object.keys(ALLOWED), `unknown part src/${part}`).toContain(part);
  });

  it("no part imports a part it may not (engine/ only core/ and observability/, python/ knows no agents, ...)", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = partOf(file);
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith(".")) continue;
        const target = resolve(dirname(file), specifier);
        if (!target.startsWith(SRC)) {
          violations.push(`${relative(SRC, file)} imports ${specifier}, outside src/`);
          continue;
        }
        const to = partOf(target);
        if (to !== from && !ALLOWED[from]!.includes(to)) violations.push(`${relative(SRC, file)} (${from}/) imports ${specifier} (${to}/)`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("the check itself catches a forbidden arrow", () => {
    // The rule table must forbid what DESIGN.md forbids, or the test above proves nothing.
    expect(ALLOWED.engine).not.toContain("agents");
    expect(ALLOWED.python).not.toContain("agents");
    expect(ALLOWED.python).not.toContain("knowledge");
    const sample = 'import { x } from "../../agents/roles.js";\nexport { y } from "./local.js";\nconst z = await import("../fleet/run.js");';
    const matches = [...sample.matchAll(IMPORT)].map((match) => match[1] ?? match[2] ?? match[3]);
    expect(matches).toEqual(["../../agents/roles.js", "./local.js", "../fleet/run.js"]);
  });
});
