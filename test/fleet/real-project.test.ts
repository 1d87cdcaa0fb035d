// The real-project benchmark's core (bench/real-projects/core.mjs) on one corpus project, in CI:
// `pyagent improve --merge` with the default agents on boltons (it has unused imports and locals for
// the default agents to remove), then boltons' full test command (`pytest --doctest-modules boltons
// tests`, as its tox runs it) on the merged main, counted by node id by the benchmark itself (not
// by PyAgent). Time-boxed by --max-changes. PYAGENT_REAL_PROJECT=sqlparse picks the other corpus
// project, PYAGENT_REAL_PROJECT_AGENTS=split-module other agents (with split-module it fails on
// sqlparse: the split test files are not collected, 259 tests lost).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module shared with the benchmark script (no type declarations)
import { CORPUS, findPython, HIGH_PRECISION_KINDS, measureProject } from "../../bench/real-projects/core.mjs";
import { REPO_ROOT } from "../helpers/cli.js";

const ARCHIVES: Record<string, string> = { boltons: "boltons-967864f.tar.gz", sqlparse: "sqlparse-60cdc64.tar.gz" };
const PROJECT = process.env.PYAGENT_REAL_PROJECT ?? "boltons";
const ARCHIVE = join(CORPUS, ARCHIVES[PROJECT] ?? `${PROJECT} (not in the corpus)`);
const BUILT = existsSync(join(REPO_ROOT, "dist/interface/cli/commands/improve.js"));
/** Seconds improve may run before it is interrupted (exit 130), so the whole test stays within ~4 minutes. */
const IMPROVE_TIME_BOX = 240;
const AGENTS = process.env.PYAGENT_REAL_PROJECT_AGENTS?.split(",").filter(Boolean);

interface LostTest {
  id: string;
  after: string;
}

describe.skipIf(!existsSync(ARCHIVE) || !BUILT)(`improve --merge on a real project (needs ${ARCHIVE} and npm run build)`, () => {
  it(
    `loses no test and adds no failure under ${PROJECT}'s full test command, and lands only high-precision commits that remove no importable name`,
    async () => {
      const project = await measureProject(ARCHIVE, {
        configurations: [[AGENTS ? "agents" : "defaults", AGENTS]],
        python: findPython(),
        maxChanges: 5,
        jobs: 1,
        checkTimeout: 120,
        timeoutSeconds: IMPROVE_TIME_BOX,
      });
      const result = project.results[0];
      // the benchmark read the real suite (boltons: 625 passing with its doctests; sqlparse: 507)
      expect(result.testsBefore.passed).toBeGreaterThan(400);
      const lost = (result.lostSample as LostTest[]).map((test) => `${test.id} → ${test.after}`);
      expect(result.lostTests, `tests lost on the merged main (first 10): ${lost.join("; ")}`).toBe(0);
      expect(result.newFailures, `new failures: ${JSON.stringify(result.newFailureSample)}`).toBe(0);
      const outsideKinds = (result.commitRows as { kind: string; subject: string }[]).filter((row) => !(HIGH_PRECISION_KINDS as string[]).includes(row.kind));
      expect(outsideKinds.map((row) => `${row.kind}: ${row.subject}`)).toEqual([]);
      // and none the rubric (bench/improve-rubric.md) finds could break a user: no importable name or re-export gone
      const risky = (result.commitRows as { subject: string; risks: string[] }[]).filter((row) => row.risks.length > 0);
      expect(risky.map((row) => `${row.subject}: ${row.risks.join("; ")}`)).toEqual([]);
      const timedOut = result.improve.exitCode === 130 ? `improve ran past the test's ${IMPROVE_TIME_BOX} s time box; ` : "";
      expect(result.improve.exitCode, `${timedOut}${result.improve.stderrTail}`).toBe(0);
    },
    360_000,
  );
});
