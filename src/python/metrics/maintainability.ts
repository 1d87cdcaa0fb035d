import type { RawMetrics } from "../types.js";

/**
 * radon 5.1.0's maintainability index as `radon mi` reports it (`mi_visit(code, multi=True)`):
 * `mi_parameters` passes the file-total Halstead volume (h_visit's `total.volume`), the
 * ComplexityVisitor's `total_complexity`, the file's LLOC (not SLOC: radon hands `raw.lloc` to
 * the `sloc` parameter) and the comment percentage `(comments + multi) / sloc * 100` (0 when
 * sloc is 0) to `mi_compute`, which returns 100 when the volume or the LLOC is not positive and
 * otherwise clamps `(171 - 5.2 ln V - 0.23 G - 16.2 ln LLOC + 50 sin(sqrt(2.46 rad(C)))) * 100 / 171`
 * to [0, 100]. The result is the unrounded float of `radon mi -j`.
 */
export function maintainabilityIndex(input: { halsteadVolume: number; totalComplexity: number; raw: RawMetrics }): number {
  const { halsteadVolume, totalComplexity, raw } = input;
  const commentLines = raw.comments + raw.multi;
  const commentPercent = raw.sloc !== 0 ? (commentLines / raw.sloc) * 100 : 0;
  return maintainabilityFromParameters(halsteadVolume, totalComplexity, raw.lloc, commentPercent);
}

/** radon's `mi_compute(halstead_volume, complexity, sloc, comments)`, same float operations. */
export function maintainabilityFromParameters(halsteadVolume: number, complexity: number, sloc: number, commentPercent: number): number {
  if (halsteadVolume <= 0 || sloc <= 0) return 100;
  const slocScale = Math.log(sloc);
  const volumeScale = Math.log(halsteadVolume);
  const commentsScale = Math.sqrt(2.46 * (commentPercent * (Math.PI / 180)));
  const nonNormalized = 171 - 5.2 * volumeScale - 0.23 * complexity - 16.2 * slocScale + 50 * Math.sin(commentsScale);
  return Math.min(Math.max(0, (nonNormalized * 100) / 171), 100);
}
