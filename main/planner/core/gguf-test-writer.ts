/**
 * Test-only: writes GGUF headers byte by byte so the reader is tested on files we fully
 * control, including deliberately broken ones. Tensor data is never materialised: a
 * `sparseSource` reports the full size and reads zeros past the header.
 */
import { ggmlTypeByName, tensorBytes } from './ggml-types.js';
import type { ByteSource } from './gguf-header.js';

export type KvValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'u64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: readonly string[] }
  | { type: 'i32s'; value: readonly number[] };

export interface TensorSpec {
  readonly name: string;
  readonly dims: readonly number[];
  /** A type name, or a raw id to write an unknown type. */
  readonly type: string | number;
}

export interface GgufSpec {
  readonly version?: number;
  readonly magic?: string;
  readonly kv: Readonly<Record<string, KvValue>>;
  readonly tensors: readonly TensorSpec[];
  /** Overrides written instead of the true counts, for the "absurd count" tests. */
  readonly tensorCountOverride?: bigint;
  readonly kvCountOverride?: bigint;
}

/** One growing buffer: headers with real-size vocabularies (150k strings) are written in milliseconds. */
class ByteWriter {
  private buffer = new Uint8Array(64 * 1024);
  private view = new DataView(this.buffer.buffer);
  private readonly encoder = new TextEncoder();
  length = 0;
  private room(n: number): number {
    if (this.length + n > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  bytes(b: Uint8Array): void {
    const at = this.room(b.length);
    this.buffer.set(b, at);
  }
  u32(v: number): void {
    const at = this.room(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number): void {
    const at = this.room(4);
    this.view.setInt32(at, v, true);
  }
  f32(v: number): void {
    const at = this.room(4);
    this.view.setFloat32(at, v, true);
  }
  u64(v: bigint): void {
    const at = this.room(8);
    this.view.setBigUint64(at, v, true);
  }
  string(s: string): void {
    // Encoded in place (UTF-8 takes at most 3 bytes per UTF-16 unit), then the length is patched in.
    const lengthAt = this.room(8 + 3 * s.length);
    const { written } = this.encoder.encodeInto(s, this.buffer.subarray(lengthAt + 8));
    this.view.setBigUint64(lengthAt, BigInt(written), true);
    this.length = lengthAt + 8 + written;
  }
  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

const TYPE_IDS = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10 } as const;

export interface WrittenGguf {
  readonly header: Uint8Array;
  /** Header + aligned tensor data: the size a complete file has. */
  readonly fileSize: number;
  readonly tensorBytes: ReadonlyMap<string, number>;
}

export function writeGguf(spec: GgufSpec): WrittenGguf {
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode(spec.magic ?? 'GGUF'));
  w.u32(spec.version ?? 3);
  w.u64(spec.tensorCountOverride ?? BigInt(spec.tensors.length));
  const entries = Object.entries(spec.kv);
  w.u64(spec.kvCountOverride ?? BigInt(entries.length));
  for (const [key, kv] of entries) {
    w.string(key);
    switch (kv.type) {
      case 'u32': w.u32(TYPE_IDS.u32); w.u32(kv.value); break;
      case 'i32': w.u32(TYPE_IDS.i32); w.i32(kv.value); break;
      case 'f32': w.u32(TYPE_IDS.f32); w.f32(kv.value); break;
      case 'u64': w.u32(TYPE_IDS.u64); w.u64(kv.value); break;
      case 'bool': w.u32(TYPE_IDS.bool); w.bytes(new Uint8Array([kv.value ? 1 : 0])); break;
      case 'string': w.u32(TYPE_IDS.string); w.string(kv.value); break;
      case 'strings':
        w.u32(TYPE_IDS.array); w.u32(TYPE_IDS.string); w.u64(BigInt(kv.value.length));
        for (const s of kv.value) w.string(s);
        break;
      case 'i32s':
        w.u32(TYPE_IDS.array); w.u32(TYPE_IDS.i32); w.u64(BigInt(kv.value.length));
        for (const v of kv.value) w.i32(v);
        break;
    }
  }
  const sizes = new Map<string, number>();
  let offset = 0;
  for (const tensor of spec.tensors) {
    const type = typeof tensor.type === 'string' ? ggmlTypeByName(tensor.type) : undefined;
    if (typeof tensor.type === 'string' && type === undefined) throw new Error(`test writer: unknown type ${tensor.type}`);
    const bytes = type === undefined ? 0 : (tensorBytes(type, tensor.dims) ?? 0);
    sizes.set(tensor.name, bytes);
    w.string(tensor.name);
    w.u32(tensor.dims.length);
    for (const d of tensor.dims) w.u64(BigInt(d));
    w.u32(type?.id ?? Number(tensor.type));
    w.u64(BigInt(offset));
    offset += Math.ceil(bytes / 32) * 32;
  }
  const header = w.result();
  return { header, fileSize: Math.ceil(header.length / 32) * 32 + offset, tensorBytes: sizes };
}

/** Overwrites a little-endian u64 in a written header (absurd lengths, counts). */
export function patchU64(header: Uint8Array, offset: number, value: bigint): Uint8Array {
  const copy = header.slice();
  new DataView(copy.buffer).setBigUint64(offset, value, true);
  return copy;
}

/** A file of `size` bytes whose first bytes are `header` and the rest zeros; counts what is read. */
export function sparseSource(header: Uint8Array, size: number): ByteSource & { bytesRead: number } {
  const source = {
    size,
    bytesRead: 0,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const end = Math.min(size, offset + length);
      const out = new Uint8Array(Math.max(0, end - offset));
      if (offset < header.length) out.set(header.subarray(offset, Math.min(header.length, end)));
      source.bytesRead += out.length;
      return out;
    },
  };
  return source;
}

/** A small llama-architecture model with a k-quant mix: block 0 has Q6_K attn_v and ffn_down. */
export function tinyLlamaSpec(options: { version?: number; tied?: boolean; arch?: string } = {}): GgufSpec {
  const arch = options.arch ?? 'llama';
  const hidden = 256;
  const ffn = 512;
  const vocab = 1000;
  const tensors: TensorSpec[] = [{ name: 'token_embd.weight', dims: [hidden, vocab], type: 'Q4_K' }];
  for (let i = 0; i < 2; i++) {
    const wide = i === 0 ? 'Q6_K' : 'Q4_K';
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [hidden], type: 'F32' },
      { name: `blk.${i}.attn_q.weight`, dims: [hidden, hidden], type: 'Q4_K' },
      { name: `blk.${i}.attn_k.weight`, dims: [hidden, 128], type: 'Q4_K' },
      { name: `blk.${i}.attn_v.weight`, dims: [hidden, 128], type: wide },
      { name: `blk.${i}.attn_output.weight`, dims: [hidden, hidden], type: 'Q4_K' },
      { name: `blk.${i}.ffn_norm.weight`, dims: [hidden], type: 'F32' },
      { name: `blk.${i}.ffn_gate.weight`, dims: [hidden, ffn], type: 'Q4_K' },
      { name: `blk.${i}.ffn_up.weight`, dims: [hidden, ffn], type: 'Q4_K' },
      { name: `blk.${i}.ffn_down.weight`, dims: [ffn, hidden], type: wide },
    );
  }
  tensors.push({ name: 'output_norm.weight', dims: [hidden], type: 'F32' });
  if (options.tied !== true) tensors.push({ name: 'output.weight', dims: [hidden, vocab], type: 'Q6_K' });
  return {
    version: options.version ?? 3,
    kv: {
      'general.architecture': { type: 'string', value: arch },
      'general.name': { type: 'string', value: 'tiny-llama' },
      'general.file_type': { type: 'u32', value: 15 },
      [`${arch}.block_count`]: { type: 'u32', value: 2 },
      [`${arch}.embedding_length`]: { type: 'u32', value: hidden },
      [`${arch}.feed_forward_length`]: { type: 'u32', value: ffn },
      [`${arch}.attention.head_count`]: { type: 'u32', value: 4 },
      [`${arch}.attention.head_count_kv`]: { type: 'u32', value: 2 },
      [`${arch}.context_length`]: { type: 'u32', value: 2048 },
      'tokenizer.ggml.tokens': { type: 'strings', value: Array.from({ length: vocab }, (_, i) => `t${i}`) },
      'tokenizer.ggml.token_type': { type: 'i32s', value: Array.from({ length: vocab }, () => 1) },
    },
    tensors,
  };
}
