import { randomBytes } from "node:crypto";

/** A sortable, url-safe id: UTC timestamp then random suffix, e.g. `20261125T073900-a1b2c3`. */
export function newId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}
