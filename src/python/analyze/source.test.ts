import { describe, expect, it } from "vitest";
import { decodePythonSource } from "./source.js";

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("decoding Python source bytes (PEP 263)", () => {
  it("decodes UTF-8 and drops a BOM", () => {
    expect(decodePythonSource(Buffer.from("\ufeffx = 'é'\n"))).toEqual({ state: "ok", text: "x = 'é'\n" });
  });

  it("honours a latin-1 coding cookie on line 1 or 2", () => {
    const text = Buffer.concat([Buffer.from("#!/usr/bin/env python\n# -*- coding: latin-1 -*-\nx = '"), bytes(0xe9), Buffer.from("'\n")]);
    expect(decodePythonSource(text)).toEqual({ state: "ok", text: "#!/usr/bin/env python\n# -*- coding: latin-1 -*-\nx = 'é'\n" });
  });

  it("refuses bytes that are not UTF-8 when there is no cookie", () => {
    const result = decodePythonSource(Buffer.concat([Buffer.from("x = '"), bytes(0xff, 0xfe), Buffer.from("'\n")]));
    expect(result).toEqual({ state: "error", message: expect.stringContaining("not valid UTF-8") });
  });

  it("refuses NUL bytes", () => {
    expect(decodePythonSource(bytes(0x78, 0x00, 0x79))).toEqual({ state: "error", message: expect.stringContaining("NUL") });
  });

  it("refuses an unknown encoding name", () => {
    expect(decodePythonSource(Buffer.from("# coding: klingon-8\nx = 1\n"))).toEqual({ state: "error", message: expect.stringContaining("klingon-8") });
  });
});
