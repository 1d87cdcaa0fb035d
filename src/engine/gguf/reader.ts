import { constants as bufferConstants } from "node:buffer";
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { GgufError } from "./errors.js";
import {
  type GgmlType,
  type GgufTensorInfo,
  type GgufValue,
  GgufValueType,
  ggmlTypeName,
  isKnownType,
  isSupportedType,
  tensorByteLength,
  blockSize,
} from "./types.js";

export interface GgufFile {
  path: string;
  version: number;
  metadata: Map<string, GgufValue>;
  /** The stored type of each metadata value; for arrays, the type of its elements. */
  metadataTypes: Map<string, GgufValueType>;
  tensors: Map<string, GgufTensorInfo>;
  alignment: number;
  /** Absolute offset where the tensor data section starts. */
  dataOffset: number;
  fileSize: number;
  /** Raw bytes of one tensor (a view, not a copy, of the loaded file). */
  tensorData(name: string): Uint8Array;
  close(): void;
}

const MAGIC = 0x46554747; // "GGUF" read as little-endian uint32
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4;

/** Reads a whole GGUF file into one Buffer (memory outside the JS heap); tensors are views into it. */
export function readGguf(path: string): GgufFile {
  let bytes: Buffer;
  try {
    bytes = readWholeFile(path);
  } catch (error) {
    if (error instanceof GgufError) throw error;
    throw new GgufError(`cannot read model file ${path}: ${(error as Error).message}`, { path }, { cause: error });
  }
  // Views of f32/f16 tensors need the data aligned; offsets are aligned relative to the file start,
  // so the Buffer itself must start on an aligned address (readFileSync's unpooled buffers do).
  if (bytes.byteOffset % 64 !== 0) bytes = Buffer.from(new Uint8Array(bytes));
  return parseGguf(bytes, path);
}

/** readFileSync stops at 2 GiB; larger files are read in chunks into one Buffer (up to its 4 GiB limit). */
function readWholeFile(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size <= 1 << 30) return readFileSync(fd);
    if (size > bufferConstants.MAX_LENGTH) {
      throw new GgufError(
        `model file ${path} is ${size} bytes; this Node.js can hold at most ${bufferConstants.MAX_LENGTH} bytes in one buffer`,
        { path, size },
      );
    }
    const bytes = Buffer.allocUnsafeSlow(size);
    for (let offset = 0; offset < size; ) {
      const read = readSync(fd, bytes, offset, Math.min(1 << 30, size - offset), offset);
      if (read === 0) throw new GgufError(`model file ${path} shrank while being read`, { path });
      offset += read;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads only the header (metadata and tensor infos) of a GGUF file, growing the read until the
 * header fits; `tensorData` of the result throws. For `model info` on files of any size.
 */
export function readGgufHeader(path: string): GgufFile {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new GgufError(`cannot read model file ${path}: ${(error as Error).message}`, { path }, { cause: error });
  }
  try {
    const fileSize = fstatSync(fd).size;
    for (let length = Math.min(fileSize, 1 << 20); ; length = Math.min(fileSize, length * 4)) {
      const prefix = Buffer.alloc(length);
      readSync(fd, prefix, 0, length, 0);
      try {
        return parseGguf(prefix, path, { fileSize, headerOnly: true });
      } catch (error) {
        const headerCut = error instanceof GgufError && error.context.headerTruncated === true;
        if (!headerCut || length === fileSize) throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

export interface ParseOptions {
  /** Size of the whole file when `bytes` is only its beginning (default: bytes.length). */
  fileSize?: number;
  /**
   * Only the header is wanted: tensor data is unavailable, and tensors of ggml types the engine
   * cannot run (q4_K, bf16, ...) are listed instead of rejected.
   */
  headerOnly?: boolean;
}

/** Parses GGUF bytes; tensor bounds are checked against `fileSize`. */
export function parseGguf(bytes: Buffer, path = "<memory>", options: ParseOptions = {}): GgufFile {
  const fileSize = options.fileSize ?? bytes.length;
  const headerOnly = options.headerOnly ?? false;
  const cursor = new Cursor(bytes, path, fileSize);
  if (fileSize < 24) throw cursor.fail(`file is ${fileSize} bytes, too short to be GGUF`);
  const magic = bytes.readUInt32LE(0);
  if (magic !== MAGIC) {
    throw cursor.fail(`not a GGUF file: magic is 0x${magic.toString(16).padStart(8, "0")}, expected "GGUF"`);
  }
  cursor.position = 4;
  const version = cursor.u32();
  if (version !== 2 && version !== 3) throw cursor.fail(`unsupported GGUF version ${version} (PyAgent reads 2 and 3)`);
  const tensorCount = cursor.count("tensor count", 8 + 4 + 8 + 4 + 8);
  const metadataCount = cursor.count("metadata count", 8 + 4);

  const metadata = new Map<string, GgufValue>();
  const metadataTypes = new Map<string, GgufValueType>();
  for (let i = 0; i < metadataCount; i++) {
    const key = cursor.string();
    if (metadata.has(key)) throw cursor.fail(`metadata key "${key}" appears twice`);
    const type = cursor.u32();
    if (type === GgufValueType.ARRAY) {
      const elementType = cursor.u32();
      metadata.set(key, cursor.array(elementType));
      metadataTypes.set(key, elementType);
    } else {
      metadata.set(key, cursor.value(type));
      metadataTypes.set(key, type);
    }
  }

  const alignmentValue = metadata.get("general.alignment") ?? DEFAULT_ALIGNMENT;
  const alignment = Number(alignmentValue);
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw cursor.fail(`general.alignment must be a power of two, got ${String(alignmentValue)}`);
  }

  const pending: Array<{ name: string; dims: number[]; type: GgmlType; relative: number }> = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = cursor.string();
    if (names.has(name)) throw cursor.fail(`tensor "${name}" appears twice`);
    names.add(name);
    const dimCount = cursor.u32();
    if (dimCount < 1 || dimCount > MAX_DIMS) throw cursor.fail(`tensor "${name}" has ${dimCount} dimensions`);
    const dims: number[] = [];
    for (let d = 0; d < dimCount; d++) {
      const size = cursor.u64AsNumber(`dimension ${d} of tensor "${name}"`);
      if (size < 1) throw cursor.fail(`tensor "${name}" has a dimension of size ${size}`);
      dims.push(size);
    }
    const type = cursor.u32();
    if (!isSupportedType(type) && !(headerOnly && isKnownType(type))) {
      const known = isKnownType(type) ? ` (${ggmlTypeName(type)})` : "";
      throw cursor.fail(`tensor "${name}" has ggml type ${type}${known}, which PyAgent's engine does not run (f32, f16, q4_0, q8_0)`);
    }
    if (dims[0] % blockSize(type) !== 0) {
      throw cursor.fail(`tensor "${name}" row of ${dims[0]} is not a whole number of ${ggmlTypeName(type)} blocks`);
    }
    const relative = cursor.u64AsNumber(`offset of tensor "${name}"`);
    if (relative % alignment !== 0) throw cursor.fail(`tensor "${name}" offset ${relative} is not aligned to ${alignment}`);
    pending.push({ name, dims, type, relative });
  }

  const dataOffset = alignUp(cursor.position, alignment);
  const tensors = new Map<string, GgufTensorInfo>();
  for (const { name, dims, type, relative } of pending) {
    const count = dims.reduce((product, size) => product * size, 1);
    const byteLength = tensorByteLength(type, count);
    const offset = dataOffset + relative;
    if (offset + byteLength > fileSize) {
      throw cursor.fail(
        `tensor "${name}" needs bytes ${offset}..${offset + byteLength} but the file has ${fileSize}: truncated file?`,
      );
    }
    tensors.set(name, { name, dims, type, offset, byteLength });
  }

  let buffer: Buffer | null = headerOnly ? null : bytes;
  return {
    path,
    version,
    metadata,
    metadataTypes,
    tensors,
    alignment,
    dataOffset,
    fileSize,
    tensorData(name: string): Uint8Array {
      const info = tensors.get(name);
      if (!info) throw new GgufError(`model file ${path} has no tensor "${name}"`, { path, name });
      if (headerOnly) throw new GgufError(`model file ${path} was opened for its header only`, { path });
      if (!buffer) throw new GgufError(`model file ${path} is closed`, { path });
      return new Uint8Array(buffer.buffer, buffer.byteOffset + info.offset, info.byteLength);
    },
    close(): void {
      buffer = null;
    },
  };
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** Sequential little-endian reader that turns every overrun into a GgufError. */
class Cursor {
  position = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly path: string,
    /** Size of the whole file; larger than bytes.length when only a prefix was read. */
    private readonly fileSize: number,
  ) {}

  fail(message: string): GgufError {
    return new GgufError(`${this.path}: ${message}`, { path: this.path, position: this.position });
  }

  private need(length: number, what: string): void {
    if (this.position + length <= this.bytes.length) return;
    if (this.position + length <= this.fileSize) {
      throw new GgufError(`${this.path}: header continues past the bytes read`, { path: this.path, headerTruncated: true });
    }
    throw this.fail(`truncated file: ${what} at byte ${this.position} runs past the end (${this.fileSize} bytes)`);
  }

  u32(): number {
    this.need(4, "a uint32");
    const value = this.bytes.readUInt32LE(this.position);
    this.position += 4;
    return value;
  }

  u64AsNumber(what: string): number {
    this.need(8, what);
    const value = this.bytes.readBigUInt64LE(this.position);
    this.position += 8;
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${what} is too large (${value})`);
    return Number(value);
  }

  /** A count of items each at least `minItemBytes` long, checked against the bytes left. */
  count(what: string, minItemBytes: number): number {
    const value = this.u64AsNumber(what);
    if (value * minItemBytes > this.fileSize - this.position) {
      throw this.fail(`${what} ${value} cannot fit in the ${this.fileSize}-byte file (truncated or corrupt)`);
    }
    return value;
  }

  string(): string {
    const length = this.u64AsNumber("string length");
    this.need(length, `a ${length}-byte string`);
    const text = this.bytes.toString("utf8", this.position, this.position + length);
    this.position += length;
    return text;
  }

  array(elementType: number): GgufValue[] {
    const length = this.count("array length", elementType === GgufValueType.STRING ? 8 : 1);
    const values: GgufValue[] = new Array(length);
    if (elementType === GgufValueType.ARRAY) {
      for (let i = 0; i < length; i++) values[i] = this.array(this.u32());
    } else {
      for (let i = 0; i < length; i++) values[i] = this.value(elementType);
    }
    return values;
  }

  value(type: number): GgufValue {
    const bytes = this.bytes;
    const at = this.position;
    const fixed = (size: number, read: () => GgufValue): GgufValue => {
      this.need(size, `a value of type ${type}`);
      const value = read();
      this.position += size;
      return value;
    };
    switch (type) {
      case GgufValueType.UINT8:
        return fixed(1, () => bytes.readUInt8(at));
      case GgufValueType.INT8:
        return fixed(1, () => bytes.readInt8(at));
      case GgufValueType.UINT16:
        return fixed(2, () => bytes.readUInt16LE(at));
      case GgufValueType.INT16:
        return fixed(2, () => bytes.readInt16LE(at));
      case GgufValueType.UINT32:
        return fixed(4, () => bytes.readUInt32LE(at));
      case GgufValueType.INT32:
        return fixed(4, () => bytes.readInt32LE(at));
      case GgufValueType.FLOAT32:
        return fixed(4, () => bytes.readFloatLE(at));
      case GgufValueType.FLOAT64:
        return fixed(8, () => bytes.readDoubleLE(at));
      case GgufValueType.BOOL:
        return fixed(1, () => {
          const byte = bytes.readUInt8(at);
          if (byte > 1) throw this.fail(`bool value ${byte} is neither 0 nor 1`);
          return byte === 1;
        });
      case GgufValueType.UINT64:
        return fixed(8, () => safeNumber(bytes.readBigUInt64LE(at)));
      case GgufValueType.INT64:
        return fixed(8, () => safeNumber(bytes.readBigInt64LE(at)));
      case GgufValueType.STRING:
        return this.string();
      default:
        throw this.fail(`unknown metadata value type ${type}`);
    }
  }
}

function safeNumber(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}
