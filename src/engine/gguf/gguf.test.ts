import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  GgmlType,
  GgufError,
  GgufValueType,
  type GgufMetadataEntry,
  dequantize,
  encodeF16,
  f16BitsToF32,
  f32ToF16Bits,
  quantizeQ4_0,
  quantizeQ8_0,
  readGguf,
  readGgufHeader,
  writeGguf,
} from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "pyagent-gguf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seededValues(count: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = ((state / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

describe("f16", () => {
  it("round-trips every finite half value exactly", () => {
    for (let bits = 0; bits < 65536; bits++) {
      const value = f16BitsToF32(bits);
      if (Number.isNaN(value)) continue;
      expect(f32ToF16Bits(value)).toBe(bits);
    }
  });

  it("rounds to nearest with ties to even, saturates to infinity, flushes tiny values to zero", () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1+2^-10: even is 1
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: even is 1+2^-9
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(f32ToF16Bits(65520)).toBe(0x7c00);
    expect(f32ToF16Bits(-1e9)).toBe(0xfc00);
    expect(f32ToF16Bits(2 ** -26)).toBe(0);
    expect(f32ToF16Bits(3 * 2 ** -26)).toBe(1); // above half of the smallest subnormal
    expect(f32ToF16Bits(Number.NaN)).toBe(0x7e00);
  });
});

describe("block formats", () => {
  it("q8_0 stores an f16 scale then 32 int8 and reconstructs within half a step", () => {
    const values = seededValues(64, 1);
    const encoded = quantizeQ8_0(values);
    expect(encoded.byteLength).toBe(2 * 34);
    const d = f16BitsToF32(encoded[0] | (encoded[1] << 8));
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[j]));
    expect(d).toBeCloseTo(amax / 127, 4);
    const decoded = dequantize(GgmlType.Q8_0, encoded, 64);
    for (let i = 0; i < 64; i++) expect(Math.abs(decoded[i] - values[i])).toBeLessThanOrEqual(d * 0.5 + amax * 1e-3);
  });

  it("q4_0 puts elements 0..15 in low nibbles and 16..31 in high nibbles, value = (nibble - 8) * d", () => {
    const values = new Float32Array(32);
    for (let j = 0; j < 32; j++) values[j] = j - 16; // max magnitude is -16 at j=0, so d = -16 / -8 = 2
    const encoded = quantizeQ4_0(values);
    expect(encoded.byteLength).toBe(18);
    expect(f16BitsToF32(encoded[0] | (encoded[1] << 8))).toBe(2);
    // element j: (j - 16) / 2 + 8 -> nibble j/2 rounded by +0.5 truncation
    expect(encoded[2] & 0x0f).toBe(0); // element 0 = -16 -> nibble 0
    expect(encoded[2] >> 4).toBe(8); // element 16 = 0 -> nibble 8
    expect(encoded[17] >> 4).toBe(15); // element 31 = 15 -> 15.5 + 0.5 -> 16, clamped to 15
    const decoded = dequantize(GgmlType.Q4_0, encoded, 32);
    expect(decoded[0]).toBe(-16);
    expect(decoded[16]).toBe(0);
    expect(decoded[31]).toBe(14);
  });

  it("encodes bit-exactly as ggml's quantize_row_q8_0_ref, quantize_row_q4_0_ref and GGML_FP32_TO_FP16", () => {
    // Golden bytes produced by ggml-quants.c from the llama.cpp source node-llama-cpp 3.21.1 ships,
    // compiled as a small C program, for this input (three blocks; the last has exact ties).
    const values = new Float32Array(96);
    for (let i = 0; i < 96; i++) values[i] = Math.fround(Math.sin(i * 1.7) * (i % 7 === 0 ? 3 : 0.4) + (i % 32 === 5 ? 0.5 : 0));
    for (let j = 64; j < 96; j++) values[j] = [127, -127, 63.5, -63.5, 0.5, -0.5, 0, 1e-8][j % 8];
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
    expect(hex(quantizeQ8_0(values))).toBe(
      "e0250011fcf00924f4af0f07effd11fe81060ff6f30d0989fb1101ef0410c4f20c0b0a26f2f91018ef1611fbf10960f3f60f06efff7ffdf0070ef5f46808f0fc1100ef24003c7f8140c001ff00007f8140c001ff00007f8140c001ff00007f8140c001ff0000",
    );
    expect(hex(quantizeQ4_0(values))).toBe(
      "d53598797897991a87938978879849789098feb589088796897797981977928979879869f0cb00ff44cc8888888800ff44cc88888888",
    );
    expect(hex(encodeF16(values))).toBe(
      "000059368baeedb553328e3a7bb46bbf8035143127b6a1ab663690a9d5c19930a1357fb3a9b4f334c63275c18baf4f362b2460b6872d053680bd43b54a3428345cb58db114368a3863b6383847361bb0bfb511338940c8b435b3b535443042b62aa8fe4182ac1ab66631683518b45ab4e3400432fdb5dcad5e369fa152b6c43af057f0d7f053f0d3003800b800000000f057f0d7f053f0d3003800b800000000f057f0d7f053f0d3003800b800000000f057f0d7f053f0d3003800b800000000",
    );
  });

  it("q4_0 and q8_0 quantize an all-zero block to zeros", () => {
    const zeros = new Float32Array(32);
    // q4_0 keeps ggml's sign: d = 0 / -8 = -0, so values decode as -0 (equal to 0).
    for (const value of dequantize(GgmlType.Q4_0, quantizeQ4_0(zeros), 32)) expect(value === 0).toBe(true);
    for (const value of dequantize(GgmlType.Q8_0, quantizeQ8_0(zeros), 32)) expect(value === 0).toBe(true);
  });

  it("q4_0 reconstruction error stays within one step of the block scale", () => {
    const values = seededValues(32 * 8, 7, 0.05);
    const decoded = dequantize(GgmlType.Q4_0, quantizeQ4_0(values), values.length);
    for (let block = 0; block < 8; block++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[block * 32 + j]));
      for (let j = 0; j < 32; j++) {
        const i = block * 32 + j;
        expect(Math.abs(decoded[i] - values[i])).toBeLessThanOrEqual(amax / 8 + 1e-6);
      }
    }
  });

  it("rejects a row that is not a whole number of blocks", () => {
    expect(() => quantizeQ8_0(new Float32Array(33))).toThrow(GgufError);
  });
});

describe("GGUF files", () => {
  const metadata: GgufMetadataEntry[] = [
    ["general.architecture", "llama"],
    ["u8", 200, GgufValueType.UINT8],
    ["i8", -100, GgufValueType.INT8],
    ["u16", 60000, GgufValueType.UINT16],
    ["i16", -30000, GgufValueType.INT16],
    ["u32", 4000000000, GgufValueType.UINT32],
    ["i32", -2000000000, GgufValueType.INT32],
    ["f32", 0.5, GgufValueType.FLOAT32],
    ["f64", 1 / 3, GgufValueType.FLOAT64],
    ["bool", true],
    ["string", "héllo ▁ wörld 🙂"],
    ["u64", 2n ** 60n, GgufValueType.UINT64],
    ["u64.small", 12, GgufValueType.UINT64],
    ["i64", -(2n ** 62n), GgufValueType.INT64],
    ["array.strings", ["a", "", "<0x0A>", "日本"]],
    ["array.f32", [0.25, -1.5, 3], GgufValueType.FLOAT32],
    ["array.i32", [1, -2, 3], GgufValueType.INT32],
    ["array.nested", [[1, 2], [3]], GgufValueType.ARRAY],
    ["array.empty", [], GgufValueType.STRING],
  ];

  it("round-trips metadata of every value type and tensors of every type, 32-byte aligned", () => {
    const values = seededValues(64 * 3, 3);
    const path = join(dir, "roundtrip.gguf");
    writeGguf(path, metadata, [
      { name: "a.f32", dims: [64, 3], type: GgmlType.F32, data: new Uint8Array(values.buffer.slice(0)) },
      { name: "b.f16", dims: [64, 3], type: GgmlType.F16, data: encodeF16(values) },
      { name: "c.q8", dims: [64, 3], type: GgmlType.Q8_0, data: quantizeQ8_0(values) },
      { name: "d.q4", dims: [64, 3], type: GgmlType.Q4_0, data: quantizeQ4_0(values) },
      { name: "e.vec", dims: [5], type: GgmlType.F32, data: new Uint8Array(20).fill(1) },
    ]);
    const file = readGguf(path);
    expect(file.version).toBe(3);
    for (const [key, value] of metadata) {
      if (key === "array.f32") expect(file.metadata.get(key)).toEqual(value);
      else if (key === "f32") expect(file.metadata.get(key)).toBe(0.5);
      else expect(file.metadata.get(key)).toEqual(value);
    }
    expect(file.metadataTypes.get("u16")).toBe(GgufValueType.UINT16);
    expect(file.metadataTypes.get("array.strings")).toBe(GgufValueType.STRING);
    expect(Array.from(file.tensors.keys())).toEqual(["a.f32", "b.f16", "c.q8", "d.q4", "e.vec"]);
    for (const info of file.tensors.values()) expect(info.offset % 32).toBe(0);
    const f32 = file.tensorData("a.f32");
    expect(Array.from(new Float32Array(f32.buffer, f32.byteOffset, 192))).toEqual(Array.from(values));
    expect(f32.buffer).toBe(file.tensorData("c.q8").buffer); // views into one buffer, not copies
    const q8 = dequantize(GgmlType.Q8_0, file.tensorData("c.q8"), 192);
    expect(Array.from(q8)).toEqual(Array.from(dequantize(GgmlType.Q8_0, quantizeQ8_0(values), 192)));
    expect(file.tensors.get("d.q4")?.byteLength).toBe(6 * 18);
    expect(Array.from(file.tensorData("e.vec"))).toEqual(Array(20).fill(1));
    file.close();
  });

  it("writes the same bytes for the same input", () => {
    const a = join(dir, "same-a.gguf");
    const b = join(dir, "same-b.gguf");
    const tensors = [{ name: "t", dims: [32], type: GgmlType.Q8_0, data: quantizeQ8_0(seededValues(32, 9)) }];
    writeGguf(a, metadata, tensors);
    writeGguf(b, metadata, tensors);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it("rejects bad and truncated files with a GgufError that says what is wrong", () => {
    const good = join(dir, "good.gguf");
    writeGguf(good, [["general.architecture", "llama"]], [
      { name: "t", dims: [32, 4], type: GgmlType.F32, data: new Uint8Array(512) },
    ]);
    const bytes = readFileSync(good);
    const expectError = (content: Uint8Array, pattern: RegExp) => {
      const path = join(dir, "bad.gguf");
      writeFileSync(path, content);
      expect(() => readGguf(path)).toThrow(GgufError);
      expect(() => readGguf(path)).toThrow(pattern);
    };
    expectError(new Uint8Array(10), /too short/);
    expectError(Buffer.concat([Buffer.from("GGML"), bytes.subarray(4)]), /not a GGUF file/);
    const version = Buffer.from(bytes);
    version.writeUInt32LE(99, 4);
    expectError(version, /unsupported GGUF version 99/);
    expectError(bytes.subarray(0, 40), /truncated/);
    expectError(bytes.subarray(0, bytes.length - 10), /truncated/);
    const tensorType = Buffer.from(bytes);
    const nameAt = bytes.indexOf(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0x74])); // u64 length 1, then "t"
    tensorType.writeUInt32LE(12, nameAt + 9 + 4 + 16); // type field after name, n_dims, 2 dims
    expectError(tensorType, /ggml type 12/);
    const hugeCount = Buffer.from(bytes);
    hugeCount.writeBigUInt64LE(2n ** 40n, 8);
    expectError(hugeCount, /cannot fit/);
    expect(() => readGguf(join(dir, "missing.gguf"))).toThrow(/cannot read model file/);
  });

  it("rejects tensor data whose size does not match the shape", () => {
    expect(() =>
      writeGguf(join(dir, "mismatch.gguf"), [], [{ name: "t", dims: [32], type: GgmlType.F32, data: new Uint8Array(4) }]),
    ).toThrow(/need 128/);
  });

  it("reads just the header of a file whose header is larger than the first read", () => {
    const path = join(dir, "big-header.gguf");
    const longText = "x".repeat(2 << 20); // 2 MiB string: more than the first 1 MiB read
    const data = new Uint8Array(8 << 20).fill(3); // 8 MiB of tensor data that the header read skips
    writeGguf(path, [["long", longText], ["after", 7]], [{ name: "w", dims: [32, 65536], type: GgmlType.F32, data }]);
    const header = readGgufHeader(path);
    expect(header.metadata.get("long")).toBe(longText);
    expect(header.metadata.get("after")).toBe(7);
    expect(header.tensors.get("w")?.byteLength).toBe(data.byteLength);
    expect(() => header.tensorData("w")).toThrow(/header only/);
    expect(readGguf(path).tensorData("w")[12345]).toBe(3);
  });
});
