import { readFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";

/** One line describing the machine a benchmark ran on. */
export function describeMachine() {
  let flags = "";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const line = info.split("\n").find((entry) => entry.startsWith("flags")) ?? "";
    flags = ["avx2", "fma", "avx512f"].filter((flag) => line.includes(` ${flag}`)).join(",");
  } catch {
    flags = "unknown";
  }
  return `${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores${flags ? ` (${flags})` : ""}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
