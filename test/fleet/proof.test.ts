import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { improve, type FleetAgent, type FleetTask } from "../../src/fleet/index.js";
import { git, makeRepo, PYTHON, removeTempDirs } from "./repo.js";

/**
 * Agents defined here on purpose make bad changes the real agents would not, to show what the
 * fleet's proof and reviewer do with them. Each plans one task per entry of `changes`.
 */
function scriptedAgent(name: string, changes: Array<{ path: string; title: string; rewrite: (source: string) => string }>): FleetAgent {
  return {
    name,
    description: "test agent",
    plan: () => changes.map((change, index): FleetTask => ({ id: `${name}-${index}`, agent: name, title: change.title, files: [change.path], benefit: changes.length - index, findings: [] })),
    async apply(task, readFile) {
      const change = changes[Number(task.id.split("-").pop())]!;
      const source = readFile(change.path);
      return source === undefined ? [] : [{ path: change.path, content: change.rewrite(source) }];
    },
  };
}

const REPO = {
  "lib/__init__.py": "",
  "lib/config.py": "DEFAULTS = {'level': 1}\n\n\ndef load():\n    return dict(DEFAULTS)\n",
  "lib/api.py": "from lib.config import load\n\n\ndef level():\n    return load()['level']\n",
  "tests/test_api.py": "from lib.api import level\n\n\ndef test_level():\n    assert level() == 1\n",
  "lib/untested.py": "def helper():\n    return 2\n",
};

afterAll(removeTempDirs);

describe("the fleet's proof and review on changes that look harmless", () => {
  it("drops a change that breaks importing an untested module, and rejects one that removes a name another module imports", async () => {
    const root = makeRepo(REPO);
    const agent = scriptedAgent("scripted", [
      { path: "lib/untested.py", title: "refactor(lib.untested): break the import", rewrite: (source) => `raise RuntimeError('boom')\n${source}` },
      { path: "lib/config.py", title: "refactor(lib.config): drop load", rewrite: () => "DEFAULTS = {'level': 1}\n" },
      { path: "lib/untested.py", title: "refactor(lib.untested): rename helper result", rewrite: (source) => source.replace("return 2", "return 1 + 1") },
    ]);
    const summary = await improve({ path: root, agents: [agent], jobs: 1, python: PYTHON });
    const states = Object.fromEntries(summary.tasks.map((record) => [record.task.title, record]));

    const broken = states["refactor(lib.untested): break the import"]!;
    expect(broken.state).toBe("failed");
    expect(broken.reason).toBe("import: new failure import lib.untested");
    expect(broken.diff).toContain("RuntimeError: boom");

    const removal = states["refactor(lib.config): drop load"]!;
    expect(removal.state).toBe("rejected");
    expect(removal.review).toEqual([{ rule: "public-api", path: "lib/config.py", message: "removes lib.config.load, which lib.api imports" }]);

    expect(states["refactor(lib.untested): rename helper result"]!.state).toBe("committed");
    expect(git(root, "log", "--format=%s", `main..pyagent/${summary.run.id}`)).toBe("refactor(lib.untested): rename helper result");
    const report = readFileSync(summary.reportPath, "utf8");
    expect(report).toContain("- rejected by the reviewer: removes lib.config.load, which lib.api imports");
    expect(report).toContain("- review (public-api, lib/config.py): removes lib.config.load, which lib.api imports");
    expect(report).toContain("- failed the proof: import: new failure import lib.untested");
  });
});
