import { createHash } from "node:crypto";

/** Content hash used for change detection and content addressing (hex sha256, truncated). */
export function contentHash(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex").slice(0, 32);
}
