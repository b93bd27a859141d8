import { OutpostError } from '../../../shared/errors.js';
import { ggmlType, tensorBytes } from './ggml-types.js';

/** Random access to a file's bytes; the adapter reads a file, tests read memory. Never asked for weights. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type GgufValue = number | bigint | boolean | string | GgufArray;
/** Arrays are kept whole only when short; a 150k-token vocabulary is kept as its length. */
export interface GgufArray {
  readonly elementType: number;
  readonly length: number;
  readonly values?: readonly GgufValue[];
}

export interface GgufTensorInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly typeId: number;
  readonly typeName: string;
  readonly offset: number;
  readonly bytes: number;
}

export interface GgufHeader {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensorInfo[];
  readonly dataOffset: number;
  readonly fileSize: number;
}

// Bounds: far above any real model (405B has ~1.1k tensors, vocabularies ~256k entries, chat
// templates a few tens of KB), far below what would exhaust memory on a hostile file.
export const GGUF_LIMITS = {
  tensors: 65_536,
  keys: 65_536,
  stringBytes: 16 * 1024 * 1024,
  arrayLength: 16 * 1024 * 1024,
  keptArrayLength: 64,
  dims: 4,
  headerBytes: 512 * 1024 * 1024,
} as const;

const MAGIC = 0x46554747; // "GGUF" little-endian
const CHUNK = 64 * 1024;

const invalid = (message: string, hint = 'Check the file is a complete GGUF model (llama.cpp convert/quantize output).'): OutpostError => new OutpostError('INVALID_INPUT', message, hint);

/** Buffered little-endian reader over a ByteSource that refuses to run past the file or the header cap. */
class HeaderReader {
  private buffer: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));
  private bufferStart = 0;
  position = 0;

  constructor(private readonly source: ByteSource) {}

  private async ensure(length: number, what: string): Promise<number> {
    if (this.position + length > this.source.size) {
      throw invalid(`GGUF file is truncated: ${what} at byte ${this.position} needs ${length} bytes, the file has ${this.source.size}.`);
    }
    if (this.position + length > GGUF_LIMITS.headerBytes) {
      throw invalid(`GGUF header is larger than ${GGUF_LIMITS.headerBytes} bytes; refusing to read it.`);
    }
    const inBuffer = this.position - this.bufferStart;
    if (inBuffer >= 0 && inBuffer + length <= this.buffer.length) return inBuffer;
    const want = Math.min(Math.max(length, CHUNK), this.source.size - this.position);
    const bytes = await this.source.read(this.position, want);
    if (bytes.length < length) throw invalid(`GGUF file is truncated: could not read ${what} at byte ${this.position}.`);
    this.buffer = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.bufferStart = this.position;
    return 0;
  }

  async u32(what: string): Promise<number> {
    const at = await this.ensure(4, what);
    this.position += 4;
    return this.view.getUint32(at, true);
  }

  async u64(what: string): Promise<bigint> {
    const at = await this.ensure(8, what);
    this.position += 8;
    return this.view.getBigUint64(at, true);
  }

  async scalar(type: number, what: string): Promise<number | bigint | boolean> {
    const size = SCALAR_SIZES[type];
    if (size === undefined) throw invalid(`GGUF ${what} has unknown value type ${type}.`);
    const at = await this.ensure(size, what);
    this.position += size;
    const v = this.view;
    switch (type) {
      case 0:
        return v.getUint8(at);
      case 1:
        return v.getInt8(at);
      case 2:
        return v.getUint16(at, true);
      case 3:
        return v.getInt16(at, true);
      case 4:
        return v.getUint32(at, true);
      case 5:
        return v.getInt32(at, true);
      case 6:
        return v.getFloat32(at, true);
      case 7:
        return v.getUint8(at) !== 0;
      case 10:
        return v.getBigUint64(at, true);
      case 11:
        return v.getBigInt64(at, true);
      default:
        return v.getFloat64(at, true);
    }
  }

  async string(what: string, keep = true): Promise<string> {
    const length = this.count(await this.u64(`${what} length`), GGUF_LIMITS.stringBytes, `${what} length`);
    if (!keep) {
      if (this.position + length > this.source.size) throw invalid(`GGUF file is truncated inside ${what}.`);
      this.position += length;
      return '';
    }
    const at = await this.ensure(length, what);
    this.position += length;
    return new TextDecoder('utf-8', { fatal: false }).decode(this.buffer.subarray(at, at + length));
  }

  /** A u64 count as a safe number, refused above `limit`. */
  count(raw: bigint, limit: number, what: string): number {
    if (raw > BigInt(limit)) throw invalid(`GGUF ${what} is ${raw}, above the limit of ${limit}; the file is corrupt or hostile.`);
    return Number(raw);
  }
}

const SCALAR_SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

async function readValue(reader: HeaderReader, type: number, key: string, depth: number): Promise<GgufValue> {
  if (type === STRING) return reader.string(`value of ${key}`);
  if (type !== ARRAY) return reader.scalar(type, `value of ${key}`);
  if (depth > 1) throw invalid(`GGUF value of ${key} nests arrays too deeply.`);
  const elementType = await reader.u32(`array type of ${key}`);
  const length = reader.count(await reader.u64(`array length of ${key}`), GGUF_LIMITS.arrayLength, `array length of ${key}`);
  const keep = length <= GGUF_LIMITS.keptArrayLength;
  const values: GgufValue[] = [];
  const size = SCALAR_SIZES[elementType];
  if (!keep && size !== undefined) {
    // A long scalar array (token scores, types): skip it without decoding.
    if (reader.position + size * length > GGUF_LIMITS.headerBytes) throw invalid(`GGUF array ${key} runs past the header limit.`);
    reader.position += size * length;
    return { elementType, length };
  }
  for (let i = 0; i < length; i++) {
    const value = elementType === STRING ? await reader.string(`element of ${key}`, keep) : await readValue(reader, elementType, key, depth + 1);
    if (keep) values.push(value);
  }
  return keep ? { elementType, length, values } : { elementType, length };
}

/** Reads GGUF v2/v3 metadata and tensor infos; never touches tensor data. */
export async function readGgufHeader(source: ByteSource): Promise<GgufHeader> {
  const reader = new HeaderReader(source);
  if (source.size < 4) throw invalid('Not a GGUF file: it is shorter than the 4-byte magic.', 'Pick a .gguf model file.');
  const magic = await reader.u32('magic');
  if (magic !== MAGIC) throw invalid('Not a GGUF file: the magic bytes are not "GGUF".', 'Pick a .gguf model file (llama.cpp format), not safetensors or a PyTorch checkpoint.');
  const version = await reader.u32('version');
  if (version === 1) throw invalid('GGUF version 1 is not supported (its counts are 32-bit).', 'Re-convert the model with a current llama.cpp.');
  if (version !== 2 && version !== 3) throw invalid(`Unknown GGUF version ${version}; this planner reads versions 2 and 3.`, 'Update Outpost or re-convert the model with a llama.cpp release it supports.');
  const tensorCount = reader.count(await reader.u64('tensor count'), GGUF_LIMITS.tensors, 'tensor count');
  const keyCount = reader.count(await reader.u64('metadata count'), GGUF_LIMITS.keys, 'metadata key count');

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < keyCount; i++) {
    const key = await reader.string(`metadata key ${i}`);
    const type = await reader.u32(`type of ${key}`);
    metadata.set(key, await readValue(reader, type, key, 0));
  }

  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = await reader.string(`tensor ${i} name`);
    const dimCount = await reader.u32(`dimension count of ${name}`);
    if (dimCount < 1 || dimCount > GGUF_LIMITS.dims) throw invalid(`GGUF tensor ${name} has ${dimCount} dimensions; ggml allows 1 to ${GGUF_LIMITS.dims}.`);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < dimCount; d++) {
      const dim = reader.count(await reader.u64(`dimension of ${name}`), 2 ** 40, `dimension of ${name}`);
      dims.push(dim);
      elements *= dim;
    }
    if (elements > 2 ** 50) throw invalid(`GGUF tensor ${name} claims ${elements} elements; refusing.`);
    const typeId = await reader.u32(`type of ${name}`);
    const type = ggmlType(typeId);
    if (type === undefined) throw invalid(`GGUF tensor ${name} has unknown ggml type ${typeId}.`, 'The file may need a newer Outpost, or it is corrupt.');
    const offset = reader.count(await reader.u64(`offset of ${name}`), Number.MAX_SAFE_INTEGER, `offset of ${name}`);
    const bytes = tensorBytes(type, dims);
    if (bytes === null) throw invalid(`GGUF tensor ${name} (${type.name}) has a row of ${dims[0]} elements, not a whole number of ${type.blockElements}-element blocks.`);
    tensors.push({ name, dims, typeId, typeName: type.name, offset, bytes });
  }

  const alignmentValue = metadata.get('general.alignment');
  const alignment = typeof alignmentValue === 'number' && alignmentValue > 0 ? alignmentValue : 32;
  const dataOffset = Math.ceil(reader.position / alignment) * alignment;
  for (const tensor of tensors) {
    if (dataOffset + tensor.offset + tensor.bytes > source.size) {
      throw invalid(`GGUF file is truncated: tensor ${tensor.name} ends at byte ${dataOffset + tensor.offset + tensor.bytes}, the file has ${source.size}.`, 'Copy the model file again; the transfer did not finish.');
    }
  }
  return { version, metadata, tensors, dataOffset, fileSize: source.size };
}
