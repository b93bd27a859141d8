/**
 * A tiny random-weight llama model in GGUF v3: real inference by llama.cpp,
 * gibberish output, a few hundred KB. The demo and the tests shard it across
 * simulated hosts, so llama.cpp really loads and runs each stage.
 *
 * Random weights alone make llama-server answer HTTP 500 about one chat
 * request in eight: sampled byte tokens form invalid UTF-8. So hidden
 * dimension 0 is held at a constant 1 (embedding column 0 is 1, row 0 of
 * attn_output and ffn_down is 0) and every token that is not plain text
 * (unknown, control, byte) gets an output weight of −1e4 on that dimension:
 * it is never sampled, and every reply is valid text.
 */

export interface TinyModelShape {
  blocks: number;
  embedding: number;
  heads: number;
  kvHeads: number;
  feedForward: number;
  context: number;
}

export const TINY_MODEL_SHAPE: TinyModelShape = { blocks: 4, embedding: 64, heads: 4, kvHeads: 2, feedForward: 128, context: 2048 };

const ALIGNMENT = 32;
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const WORDS = (
  'the of and to in is was for on that with as by at from it his an were are which this be or has had not but first one their its new after who they have her she two been other when there all during into school time may years more most only over city some world would where later up such used many can state about national out known university united then made'
).split(' ');

type Value = { u32: number } | { i32: number } | { f32: number } | { bool: boolean } | { str: string } | { strings: string[] } | { f32s: number[] } | { i32s: number[] };

/** A seeded xorshift PRNG: the same seed writes the same file. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

/** IEEE half from a JS number (round to nearest; the values here are small and normal). */
function toHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign;
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | Math.round(mantissa / 0x2000);
}

class Writer {
  private readonly chunks: Buffer[] = [];
  length = 0;
  push(buffer: Buffer): void {
    this.chunks.push(buffer);
    this.length += buffer.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  pad(): void {
    const rest = (ALIGNMENT - (this.length % ALIGNMENT)) % ALIGNMENT;
    if (rest) this.push(Buffer.alloc(rest));
  }
  value(v: Value): void {
    if ('u32' in v) (this.u32(4), this.u32(v.u32));
    else if ('i32' in v) (this.u32(5), this.i32(v.i32));
    else if ('f32' in v) (this.u32(6), this.f32(v.f32));
    else if ('bool' in v) (this.u32(7), this.push(Buffer.from([v.bool ? 1 : 0])));
    else if ('str' in v) (this.u32(8), this.str(v.str));
    else if ('strings' in v) (this.u32(9), this.u32(8), this.u64(v.strings.length), v.strings.forEach((s) => this.str(s)));
    else if ('f32s' in v) (this.u32(9), this.u32(6), this.u64(v.f32s.length), v.f32s.forEach((f) => this.f32(f)));
    else (this.u32(9), this.u32(5), this.u64(v.i32s.length), v.i32s.forEach((i) => this.i32(i)));
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** The vocabulary: unknown, BOS, EOS, the ChatML markers, 256 byte tokens, then plain text pieces. */
function vocabulary(): { tokens: string[]; types: number[]; scores: number[] } {
  const tokens = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>'];
  const types = [2, 3, 3, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const pieces = new Set<string>(['\u2581']);
  for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?\'-:;') pieces.add(c);
  for (const word of WORDS) pieces.add(`\u2581${word}`);
  for (const piece of pieces) {
    tokens.push(piece);
    types.push(1);
  }
  // SentencePiece merges by score: longer pieces first.
  const scores = tokens.map((t, i) => (types[i] === 1 ? -1000 + [...t].length * 10 - i * 0.001 : 0));
  return { tokens, types, scores };
}

interface Tensor {
  name: string;
  dims: number[];
  type: 0 | 1;
  data: Buffer;
}

/** Writes the model; `seed` fixes the weights. */
export function tinyGguf(seed = 1, shape: TinyModelShape = TINY_MODEL_SHAPE, name = 'outpost-tiny'): Buffer {
  const random = prng(seed);
  const vocab = vocabulary();
  const n = shape.embedding;
  const kv = (n / shape.heads) * shape.kvHeads;
  const scale = 0.08;
  const matrix = (rows: number, cols: number, fill?: (row: number, col: number) => number | undefined): Buffer => {
    // ggml: ne0 = cols (input), ne1 = rows (output); rows are contiguous.
    const out = Buffer.alloc(rows * cols * 2);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out.writeUInt16LE(toHalf(fill?.(r, c) ?? (random() * 2 - 1) * scale), (r * cols + c) * 2);
    }
    return out;
  };
  const ones = (count: number): Buffer => {
    const out = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++) out.writeFloatLE(1, i * 4);
    return out;
  };
  const normalToken = (token: number): boolean => vocab.types[token] === 1;
  const tensors: Tensor[] = [{ name: 'token_embd.weight', dims: [n, vocab.tokens.length], type: 1, data: matrix(vocab.tokens.length, n, (_, c) => (c === 0 ? 1 : undefined)) }];
  for (let b = 0; b < shape.blocks; b++) {
    const p = `blk.${b}`;
    tensors.push(
      { name: `${p}.attn_norm.weight`, dims: [n], type: 0, data: ones(n) },
      { name: `${p}.attn_q.weight`, dims: [n, n], type: 1, data: matrix(n, n) },
      { name: `${p}.attn_k.weight`, dims: [n, kv], type: 1, data: matrix(kv, n) },
      { name: `${p}.attn_v.weight`, dims: [n, kv], type: 1, data: matrix(kv, n) },
      { name: `${p}.attn_output.weight`, dims: [n, n], type: 1, data: matrix(n, n, (r) => (r === 0 ? 0 : undefined)) },
      { name: `${p}.ffn_norm.weight`, dims: [n], type: 0, data: ones(n) },
      { name: `${p}.ffn_gate.weight`, dims: [n, shape.feedForward], type: 1, data: matrix(shape.feedForward, n) },
      { name: `${p}.ffn_up.weight`, dims: [n, shape.feedForward], type: 1, data: matrix(shape.feedForward, n) },
      { name: `${p}.ffn_down.weight`, dims: [shape.feedForward, n], type: 1, data: matrix(n, shape.feedForward, (r) => (r === 0 ? 0 : undefined)) },
    );
  }
  tensors.push(
    { name: 'output_norm.weight', dims: [n], type: 0, data: ones(n) },
    { name: 'output.weight', dims: [n, vocab.tokens.length], type: 1, data: matrix(vocab.tokens.length, n, (r, c) => (c === 0 ? (normalToken(r) ? 0 : -1e4) : undefined)) },
  );

  const metadata: Array<[string, Value]> = [
    ['general.architecture', { str: 'llama' }],
    ['general.name', { str: name }],
    ['general.alignment', { u32: ALIGNMENT }],
    ['general.file_type', { u32: 1 }],
    ['llama.context_length', { u32: shape.context }],
    ['llama.embedding_length', { u32: n }],
    ['llama.block_count', { u32: shape.blocks }],
    ['llama.feed_forward_length', { u32: shape.feedForward }],
    ['llama.attention.head_count', { u32: shape.heads }],
    ['llama.attention.head_count_kv', { u32: shape.kvHeads }],
    ['llama.rope.dimension_count', { u32: n / shape.heads }],
    ['llama.attention.layer_norm_rms_epsilon', { f32: 1e-5 }],
    ['llama.vocab_size', { u32: vocab.tokens.length }],
    ['tokenizer.ggml.model', { str: 'llama' }],
    ['tokenizer.ggml.tokens', { strings: vocab.tokens }],
    ['tokenizer.ggml.scores', { f32s: vocab.scores }],
    ['tokenizer.ggml.token_type', { i32s: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', { u32: 0 }],
    ['tokenizer.ggml.bos_token_id', { u32: 1 }],
    ['tokenizer.ggml.eos_token_id', { u32: 2 }],
    ['tokenizer.ggml.add_bos_token', { bool: true }],
    ['tokenizer.ggml.add_eos_token', { bool: false }],
    ['tokenizer.chat_template', { str: CHATML }],
  ];

  const w = new Writer();
  w.push(Buffer.from('GGUF', 'latin1'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [key, value] of metadata) {
    w.str(key);
    w.value(value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    offset += Math.ceil(t.data.length / ALIGNMENT) * ALIGNMENT;
  }
  tensors.forEach((t, i) => {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    w.u64(offsets[i] as number);
  });
  w.pad();
  for (const t of tensors) {
    w.push(t.data);
    w.pad();
  }
  return w.buffer();
}
