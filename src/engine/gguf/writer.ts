import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { GgufError } from "./errors.js";
import { alignUp } from "./reader.js";
import { type GgmlType, type GgufValue, GgufValueType, tensorByteLength } from "./types.js";

/**
 * One metadata entry: key, value and optionally its stored type. For an array the type names its
 * elements. Without a type: booleans are BOOL, strings STRING, bigints INT64, integers UINT32
 * (INT32 when negative, 64-bit when out of 32-bit range), other numbers FLOAT32.
 */
export type GgufMetadataEntry = [key: string, value: GgufValue, type?: GgufValueType];

export interface GgufTensorInput {
  name: string;
  dims: number[];
  type: GgmlType;
  /** Already encoded in `type`. */
  data: Uint8Array;
}

export interface GgufTensorSpec {
  name: string;
  dims: number[];
  type: GgmlType;
}

export const GGUF_ALIGNMENT = 32;

export function writeGguf(path: string, metadata: GgufMetadataEntry[], tensors: GgufTensorInput[]): void {
  writeGgufStreaming(path, metadata, tensors, (index) => tensors[index].data);
}

/**
 * Writes a GGUF v3 file whose tensor data is produced one tensor at a time by `produce(index)`, so
 * a large model never has to sit in memory whole. The file appears at `path` only when complete.
 */
export function writeGgufStreaming(
  path: string,
  metadata: GgufMetadataEntry[],
  tensors: GgufTensorSpec[],
  produce: (index: number) => Uint8Array,
): void {
  const alignmentEntry = metadata.find(([key]) => key === "general.alignment");
  const alignment = alignmentEntry ? Number(alignmentEntry[1]) : GGUF_ALIGNMENT;
  const header = new ByteBuilder();
  header.u32(0x46554747);
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.length);
  const keys = new Set<string>();
  for (const [key, value, type] of metadata) {
    if (keys.has(key)) throw new GgufError(`metadata key "${key}" given twice`, { key });
    keys.add(key);
    header.string(key);
    writeValue(header, key, value, type, true);
  }
  const byteLengths: number[] = [];
  let relative = 0;
  for (const tensor of tensors) {
    const count = tensor.dims.reduce((product, size) => product * size, 1);
    const byteLength = tensorByteLength(tensor.type, count);
    byteLengths.push(byteLength);
    header.string(tensor.name);
    header.u32(tensor.dims.length);
    for (const size of tensor.dims) header.u64(size);
    header.u32(tensor.type);
    header.u64(relative);
    relative = alignUp(relative + byteLength, alignment);
  }
  header.pad(alignment);

  const temporary = `${path}.partial-${process.pid}`;
  const fd = openSync(temporary, "w");
  try {
    writeAll(fd, header.bytes());
    const zeros = new Uint8Array(alignment);
    for (let i = 0; i < tensors.length; i++) {
      const data = produce(i);
      if (data.byteLength !== byteLengths[i]) {
        throw new GgufError(
          `tensor "${tensors[i].name}" data is ${data.byteLength} bytes, its shape and type need ${byteLengths[i]}`,
          { name: tensors[i].name },
        );
      }
      writeAll(fd, data);
      const padding = alignUp(data.byteLength, alignment) - data.byteLength;
      if (padding > 0) writeAll(fd, zeros.subarray(0, padding));
    }
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed on the success path before rename failed
    }
    rmSync(temporary, { force: true });
    throw error;
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let written = 0;
  while (written < data.byteLength) written += writeSync(fd, data, written, data.byteLength - written);
}

function inferType(value: GgufValue): GgufValueType {
  if (typeof value === "boolean") return GgufValueType.BOOL;
  if (typeof value === "string") return GgufValueType.STRING;
  if (typeof value === "bigint") return GgufValueType.INT64;
  if (Array.isArray(value)) return GgufValueType.ARRAY;
  if (!Number.isInteger(value)) return GgufValueType.FLOAT32;
  if (value >= 0) return value <= 0xffffffff ? GgufValueType.UINT32 : GgufValueType.UINT64;
  return value >= -0x80000000 ? GgufValueType.INT32 : GgufValueType.INT64;
}

function inferElementType(values: GgufValue[]): GgufValueType {
  if (values.length === 0) return GgufValueType.UINT32;
  const first = values[0];
  if (typeof first !== "number") return inferType(first);
  let type = GgufValueType.UINT32;
  for (const value of values) {
    if (typeof value !== "number") continue;
    if (!Number.isInteger(value)) return GgufValueType.FLOAT32;
    if (value < 0) type = GgufValueType.INT32;
  }
  return type;
}

function writeValue(out: ByteBuilder, key: string, value: GgufValue, type: GgufValueType | undefined, withType: boolean): void {
  if (Array.isArray(value)) {
    const elementType = type ?? inferElementType(value);
    if (withType) out.u32(GgufValueType.ARRAY);
    out.u32(elementType);
    out.u64(value.length);
    for (const element of value) {
      if (elementType === GgufValueType.ARRAY) {
        if (!Array.isArray(element)) throw new GgufError(`metadata "${key}": nested array expected`, { key });
        writeValue(out, key, element, inferElementType(element), false);
      } else {
        writeScalar(out, key, element, elementType);
      }
    }
    return;
  }
  const scalarType = type ?? inferType(value);
  if (withType) out.u32(scalarType);
  writeScalar(out, key, value, scalarType);
}

function writeScalar(out: ByteBuilder, key: string, value: GgufValue, type: GgufValueType): void {
  const mismatch = () => new GgufError(`metadata "${key}": value ${String(value)} cannot be stored as type ${type}`, { key, type });
  if (type === GgufValueType.STRING) {
    if (typeof value !== "string") throw mismatch();
    out.string(value);
    return;
  }
  if (type === GgufValueType.BOOL) {
    if (typeof value !== "boolean") throw mismatch();
    out.u8(value ? 1 : 0);
    return;
  }
  if (typeof value !== "number" && typeof value !== "bigint") throw mismatch();
  const view = out.reserve(scalarSize(type, mismatch));
  const integral = () => {
    if (typeof value === "number" && !Number.isInteger(value)) throw mismatch();
    return value;
  };
  try {
    switch (type) {
      case GgufValueType.UINT8: view.setUint8(0, Number(integral())); checkRange(value, 0, 0xff, mismatch); break;
      case GgufValueType.INT8: view.setInt8(0, Number(integral())); checkRange(value, -0x80, 0x7f, mismatch); break;
      case GgufValueType.UINT16: view.setUint16(0, Number(integral()), true); checkRange(value, 0, 0xffff, mismatch); break;
      case GgufValueType.INT16: view.setInt16(0, Number(integral()), true); checkRange(value, -0x8000, 0x7fff, mismatch); break;
      case GgufValueType.UINT32: view.setUint32(0, Number(integral()), true); checkRange(value, 0, 0xffffffff, mismatch); break;
      case GgufValueType.INT32: view.setInt32(0, Number(integral()), true); checkRange(value, -0x80000000, 0x7fffffff, mismatch); break;
      case GgufValueType.FLOAT32: view.setFloat32(0, Number(value), true); break;
      case GgufValueType.FLOAT64: view.setFloat64(0, Number(value), true); break;
      case GgufValueType.UINT64: view.setBigUint64(0, BigInt(integral()), true); break;
      case GgufValueType.INT64: view.setBigInt64(0, BigInt(integral()), true); break;
      default: throw mismatch();
    }
  } catch (error) {
    if (error instanceof GgufError) throw error;
    throw mismatch();
  }
}

function checkRange(value: number | bigint, low: number, high: number, mismatch: () => GgufError): void {
  if (value < low || value > high) throw mismatch();
}

function scalarSize(type: GgufValueType, mismatch: () => GgufError): number {
  switch (type) {
    case GgufValueType.UINT8: case GgufValueType.INT8: return 1;
    case GgufValueType.UINT16: case GgufValueType.INT16: return 2;
    case GgufValueType.UINT32: case GgufValueType.INT32: case GgufValueType.FLOAT32: return 4;
    case GgufValueType.UINT64: case GgufValueType.INT64: case GgufValueType.FLOAT64: return 8;
    default: throw mismatch();
  }
}

/** Growable little-endian byte buffer for the header. */
class ByteBuilder {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  private length = 0;
  private static readonly encoder = new TextEncoder();

  reserve(size: number): DataView {
    this.ensure(size);
    const view = new DataView(this.buffer.buffer, this.length, size);
    this.length += size;
    return view;
  }

  u8(value: number): void {
    this.ensure(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }

  u32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  u64(value: number): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }

  string(text: string): void {
    const encoded = ByteBuilder.encoder.encode(text);
    this.u64(encoded.byteLength);
    this.ensure(encoded.byteLength);
    this.buffer.set(encoded, this.length);
    this.length += encoded.byteLength;
  }

  pad(alignment: number): void {
    const target = alignUp(this.length, alignment);
    this.ensure(target - this.length);
    this.length = target; // the buffer starts zeroed and is never written past `length`
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.byteLength) return;
    let size = this.buffer.byteLength * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}
