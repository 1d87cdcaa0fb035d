/**
 * Finds stop strings in streamed text. Text that could be the start of a stop string is held back
 * until it is clear either way, so a stop string is never emitted, even split across tokens.
 *
 * Invariant: `pending` never contains a whole stop string, and everything emitted so far plus
 * `pending` is the text pushed so far (until a stop string is found, after which nothing more is
 * emitted).
 */
export class StopStringMatcher {
  private readonly stops: readonly string[];
  private pending = "";
  private found = false;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((stop) => stop.length > 0);
  }

  /** True once a stop string has appeared. */
  get stopped(): boolean {
    return this.found;
  }

  /** Adds generated text; returns the part that can be emitted now. */
  push(text: string): string {
    if (this.found) return "";
    if (this.stops.length === 0) return text;
    const pending = this.pending + text;
    let earliest = -1;
    for (const stop of this.stops) {
      const at = pending.indexOf(stop);
      if (at >= 0 && (earliest < 0 || at < earliest)) earliest = at;
    }
    if (earliest >= 0) {
      this.found = true;
      this.pending = "";
      return pending.slice(0, earliest);
    }
    let held = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, pending.length); length > held; length--) {
        if (pending.endsWith(stop.slice(0, length))) {
          held = length;
          break;
        }
      }
    }
    this.pending = pending.slice(pending.length - held);
    return pending.slice(0, pending.length - held);
  }

  /** Generation ended without completing a stop string: the held-back text is real output. */
  flush(): string {
    const rest = this.found ? "" : this.pending;
    this.pending = "";
    return rest;
  }
}
