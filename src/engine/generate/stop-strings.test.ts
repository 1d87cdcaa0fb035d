import { describe, expect, it } from "vitest";
import { StopStringMatcher } from "./stop-strings.js";

function run(stops: string[], pieces: string[]): { emitted: string[]; stopped: boolean; rest: string } {
  const matcher = new StopStringMatcher(stops);
  const emitted = pieces.map((piece) => matcher.push(piece));
  return { emitted, stopped: matcher.stopped, rest: matcher.flush() };
}

describe("StopStringMatcher", () => {
  it("passes text straight through when there are no stop strings", () => {
    expect(run([], ["a", "b"]).emitted).toEqual(["a", "b"]);
  });

  it("holds back a possible stop-string prefix and never emits the stop string split across pieces", () => {
    const result = run(["\n\nUser:"], ["Hello", "\n", "\nUs", "er:", " more"]);
    expect(result.emitted).toEqual(["Hello", "", "", "", ""]);
    expect(result.stopped).toBe(true);
    expect(result.rest).toBe("");
  });

  it("releases held text once it can no longer start a stop string", () => {
    const result = run(["END"], ["the E", "ND", "x"]);
    expect(result.emitted).toEqual(["the ", "", ""]);
    const released = run(["END"], ["the E", "gg"]);
    expect(released.emitted).toEqual(["the ", "Egg"]);
    expect(released.stopped).toBe(false);
  });

  it("cuts at the earliest of several stop strings inside one piece", () => {
    const result = run(["cd", "b"], ["abcdef"]);
    expect(result.emitted).toEqual(["a"]);
    expect(result.stopped).toBe(true);
  });

  it("returns the held-back tail on flush when generation ends without a stop", () => {
    const result = run(["STOP"], ["go ST"]);
    expect(result.emitted).toEqual(["go "]);
    expect(result.rest).toBe("ST");
  });
});
