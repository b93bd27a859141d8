import { OutpostError } from '../../../shared/errors.js';
import { FILE_TYPES } from './ggml-types.js';
import type { GgufHeader, GgufValue } from './gguf-header.js';
import type { ModelProfile } from './model-profile.js';

/** Decoder-only architectures whose tensors follow llama.cpp's blk.N.* naming and whose KV cache the model covers. */
export const SUPPORTED_ARCHITECTURES = ['llama', 'qwen2', 'qwen3', 'mistral'] as const;

const unsupported = (message: string, hint: string): OutpostError => new OutpostError('INVALID_INPUT', message, hint);

function numberOf(value: GgufValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return undefined;
}

/** Architecture, exact per-block bytes, embedding and head bytes from a GGUF header. */
export function profileFromGguf(header: GgufHeader, fallbackName: string): ModelProfile {
  const meta = header.metadata;
  const arch = meta.get('general.architecture');
  if (typeof arch !== 'string') throw unsupported('GGUF file has no general.architecture key.', 'The file is not a llama.cpp model file.');
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw unsupported(`GGUF architecture "${arch}" is not supported by the planner.`, `Supported: ${SUPPORTED_ARCHITECTURES.join(', ')}. Plan a catalog model of similar size instead, or ask for "${arch}" support.`);
  }
  const required = (key: string): number => {
    const value = numberOf(meta.get(`${arch}.${key}`));
    if (value === undefined || !(value > 0)) throw unsupported(`GGUF file lacks ${arch}.${key}.`, 'Re-convert the model with a current llama.cpp.');
    return value;
  };
  const layers = required('block_count');
  const hiddenSize = required('embedding_length');
  const heads = required('attention.head_count');
  const kvHeads = numberOf(meta.get(`${arch}.attention.head_count_kv`)) ?? heads;
  const headDim = numberOf(meta.get(`${arch}.attention.key_length`)) ?? hiddenSize / heads;
  const experts = Math.max(1, numberOf(meta.get(`${arch}.expert_count`)) ?? 1);
  const expertsUsed = Math.max(1, Math.min(experts, numberOf(meta.get(`${arch}.expert_used_count`)) ?? 1));

  const perLayer = new Array<number>(layers).fill(0);
  const perLayerActive = new Array<number>(layers).fill(0);
  const perLayerParams = new Array<number>(layers).fill(0);
  let embeddingBytes = 0;
  let outputBytes = 0;
  let hasOutput = false;
  let vocab = 0;
  let elements = 0;
  let bytes = 0;
  const typeBytes = new Map<string, number>();
  for (const tensor of header.tensors) {
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    elements += count;
    bytes += tensor.bytes;
    typeBytes.set(tensor.typeName, (typeBytes.get(tensor.typeName) ?? 0) + tensor.bytes);
    const block = /^blk\.(\d+)\./.exec(tensor.name);
    if (block !== null) {
      const index = Number(block[1]);
      if (index >= layers) throw unsupported(`GGUF tensor ${tensor.name} is outside the ${layers} blocks the metadata declares.`, 'The file is inconsistent; re-convert it.');
      // Stacked expert tensors: a token reads only the experts the router picks.
      const share = tensor.name.includes('_exps') ? expertsUsed / experts : 1;
      perLayer[index] = (perLayer[index] ?? 0) + tensor.bytes;
      perLayerActive[index] = (perLayerActive[index] ?? 0) + tensor.bytes * share;
      perLayerParams[index] = (perLayerParams[index] ?? 0) + count * share;
    } else if (tensor.name === 'output.weight' || tensor.name === 'output_norm.weight') {
      outputBytes += tensor.bytes;
      hasOutput ||= tensor.name === 'output.weight';
    } else {
      if (tensor.name === 'token_embd.weight') vocab = tensor.dims[1] ?? 0;
      embeddingBytes += tensor.bytes;
    }
  }
  if (vocab === 0) {
    const tokens = meta.get('tokenizer.ggml.tokens');
    vocab = typeof tokens === 'object' && !(typeof tokens === 'bigint') ? tokens.length : 0;
  }
  if (perLayer.some((b) => b === 0)) throw unsupported('GGUF file has blocks without tensors.', 'The file is incomplete or not a transformer model.');
  // Tied embeddings: llama.cpp duplicates token_embd onto the output device.
  if (!hasOutput) outputBytes += header.tensors.find((t) => t.name === 'token_embd.weight')?.bytes ?? 0;

  const fileType = numberOf(meta.get('general.file_type'));
  const dominant = [...typeBytes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
  const quantization = (fileType !== undefined ? FILE_TYPES.get(fileType) : undefined) ?? dominant;
  const name = meta.get('general.name');
  const heaviest = Math.max(...perLayer);
  const heaviestIndex = perLayer.indexOf(heaviest);
  return {
    name: typeof name === 'string' && name.length > 0 ? name : fallbackName,
    architecture: arch,
    layers,
    hiddenSize,
    ffnHiddenSize: numberOf(meta.get(`${arch}.feed_forward_length`)) ?? 4 * hiddenSize,
    heads,
    kvHeads,
    headDim,
    vocabSize: vocab,
    maxContext: numberOf(meta.get(`${arch}.context_length`)) ?? 4096,
    experts,
    expertsUsed,
    quantization,
    bitsPerWeight: elements > 0 ? (bytes * 8) / elements : 0,
    layerBytes: heaviest,
    layerActiveBytes: Math.ceil(perLayerActive[heaviestIndex] ?? heaviest),
    layerActiveParams: Math.max(...perLayerParams),
    layerBytesMin: Math.min(...perLayer),
    layerBytesMean: perLayer.reduce((a, b) => a + b, 0) / layers,
    embeddingBytes,
    outputBytes,
    totalBytes: bytes,
    source: 'gguf',
  };
}
