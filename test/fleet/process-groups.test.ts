import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processStartTime } from "../../src/fleet/lock.js";
import { endRecordedGroups, processGroupLog } from "../../src/fleet/process-groups.js";
import { removeTempDirs, tempDir } from "./repo.js";

afterAll(removeTempDirs);

/** A sleeping process that leads its own group (as a check does). */
function sleeper(): number {
  const child = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
  child.unref();
  return child.pid!;
}

function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 200));
}

describe.skipIf(!existsSync("/proc/self/stat"))("recorded process groups of a run", () => {
  it("keeps a line per live group while it runs and none once it ended", () => {
    const file = join(tempDir("pyagent-groups-"), "run.pgids");
    const log = processGroupLog(file);
    log.started(process.pid);
    expect(readFileSync(file, "utf8")).toBe(`${process.pid} ${processStartTime(process.pid)}\n`);
    log.ended(process.pid);
    expect(existsSync(file)).toBe(false);
  });

  it("ends a dead run's group whose leader still has the recorded start time", async () => {
    const pid = sleeper();
    const file = join(tempDir("pyagent-groups-"), "run.pgids");
    writeFileSync(file, `${pid} ${processStartTime(pid)}\n`);
    expect(endRecordedGroups(file)).toBe(1);
    await settle();
    expect(alive(pid)).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  it("leaves alone a process that got a recorded pid after the group ended (another start time)", async () => {
    const pid = sleeper();
    const file = join(tempDir("pyagent-groups-"), "run.pgids");
    writeFileSync(file, `${pid} ${Number(processStartTime(pid)) - 1000}\n`);
    expect(endRecordedGroups(file)).toBe(0);
    await settle();
    expect(alive(pid)).toBe(true);
    process.kill(-pid, "SIGKILL");
  });

  it("ignores lines it cannot verify (no start time) and its own process", () => {
    const file = join(tempDir("pyagent-groups-"), "run.pgids");
    writeFileSync(file, `${process.pid} ${processStartTime(process.pid)}\n12345 -\nnonsense\n`);
    expect(endRecordedGroups(file)).toBe(0);
  });
});
