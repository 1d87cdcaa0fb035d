import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { makeTree, runBin } from "../helpers/cli.js";

describe("the CLI's output", () => {
  it("masks a secret from the environment wherever a command prints it, and nothing that is not one", () => {
    // A repository whose code names the user's key: analyze reports it as an unused import.
    const canary = "cnysecretmodule7f3a9b2c41";
    const root = makeTree({ "mod.py": `import ${canary}\nimport ordinarymodule\n\n\ndef f():\n    return 1\n` });
    try {
      const masked = runBin(["analyze", root, "--format", "md", "--no-cache"], { env: { CANARY_API_KEY: canary } });
      expect(masked.code).toBe(0);
      expect(masked.stdout).toContain("unused import '[REDACTED]'");
      expect(masked.stdout).toContain("unused import 'ordinarymodule'");
      expect(masked.stdout + masked.stderr).not.toContain(canary);
      // The same value in a variable that is not a credential's is not a secret.
      const plain = runBin(["analyze", root, "--format", "md", "--no-cache"], { env: { CANARY_MODULE: canary } });
      expect(plain.stdout).toContain(`unused import '${canary}'`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
