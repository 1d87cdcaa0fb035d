import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, freemem, totalmem } from "node:os";

/** What the machine offers the engine, read once at model load. */
export interface HardwareInfo {
  /** Logical CPUs this process may use. */
  cores: number;
  /** Distinct physical cores (hyper-threads counted once), at most `cores`. */
  physicalCores: number;
  totalMemory: number;
  /** Bytes available for new allocations: MemAvailable (page cache counts as free), within a cgroup limit. */
  availableMemory: number;
  features: { avx2: boolean; fma: boolean; f16c: boolean; avx512f: boolean };
}

export function detectHardware(): HardwareInfo {
  const cores = availableParallelism();
  const cpuinfo = readText("/proc/cpuinfo");
  return {
    cores,
    physicalCores: Math.max(1, Math.min(cores, countPhysicalCores(cpuinfo) ?? cores)),
    totalMemory: totalmem(),
    availableMemory: availableMemory(),
    features: cpuFeatures(cpuinfo),
  };
}

/** Matrix products are memory bound, so hyper-threads add little: default to one thread per physical core. */
export function defaultThreads(hardware: HardwareInfo): number {
  return hardware.physicalCores;
}

function readText(path: string): string {
  try {
    return existsSync(path) ? readFileSync(path, "utf8") : "";
  } catch {
    return "";
  }
}

function countPhysicalCores(cpuinfo: string): number | null {
  const cores = new Set<string>();
  let physical = "0";
  for (const line of cpuinfo.split("\n")) {
    const [key, value] = line.split(":").map((part) => part.trim());
    if (key === "physical id") physical = value;
    else if (key === "core id") cores.add(`${physical}/${value}`);
  }
  return cores.size > 0 ? cores.size : null;
}

function cpuFeatures(cpuinfo: string): HardwareInfo["features"] {
  const flagsLine = cpuinfo.split("\n").find((line) => line.startsWith("flags"));
  const flags = new Set((flagsLine?.split(":")[1] ?? "").trim().split(/\s+/));
  return { avx2: flags.has("avx2"), fma: flags.has("fma"), f16c: flags.has("f16c"), avx512f: flags.has("avx512f") };
}

function availableMemory(): number {
  const meminfo = readText("/proc/meminfo");
  const match = /^MemAvailable:\s+(\d+)\s+kB/m.exec(meminfo);
  let available = match ? Number(match[1]) * 1024 : freemem();
  const limit = Number(readText("/sys/fs/cgroup/memory.max").trim());
  const used = Number(readText("/sys/fs/cgroup/memory.current").trim());
  if (Number.isFinite(limit) && limit > 0 && Number.isFinite(used)) available = Math.min(available, Math.max(0, limit - used));
  return available;
}

/** Bytes as "1.5 GiB" for error messages. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
