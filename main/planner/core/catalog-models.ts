import { findByName } from './names.js';

/** The shape of a model, shared by catalog entries and the profiles the cost model runs on. */
export interface ModelShape {
  readonly name: string;
  readonly architecture: string;
  readonly layers: number;
  readonly hiddenSize: number;
  readonly ffnHiddenSize: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly maxContext: number;
  /** Mixture of experts: every expert is stored, only `expertsUsed` are read per token. */
  readonly experts: number;
  readonly expertsUsed: number;
}

/** The architecture figures the memory and time models need; from config.json or GGUF metadata. */
export interface ModelSpec extends ModelShape {
  readonly aliases?: readonly string[];
  /** The output head reuses the embedding matrix (llama.cpp duplicates it onto the last device). */
  readonly tiedEmbeddings: boolean;
  /** Qwen2 has biases on q/k/v. */
  readonly qkvBias: boolean;
  readonly source: string;
}

const dense = { experts: 1, expertsUsed: 1, tiedEmbeddings: false, qkvBias: false } as const;

export const MODEL_CATALOG: readonly ModelSpec[] = [
  {
    name: 'Llama-3.1-8B',
    aliases: ['llama3.1-8b', 'llama-3.1-8b-instruct'],
    architecture: 'llama',
    layers: 32,
    hiddenSize: 4096,
    ffnHiddenSize: 14336,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    vocabSize: 128256,
    maxContext: 131072,
    ...dense,
    source: 'meta-llama/Llama-3.1-8B config.json',
  },
  {
    name: 'Llama-3.1-70B',
    aliases: ['llama3.1-70b', 'llama-3.1-70b-instruct'],
    architecture: 'llama',
    layers: 80,
    hiddenSize: 8192,
    ffnHiddenSize: 28672,
    heads: 64,
    kvHeads: 8,
    headDim: 128,
    vocabSize: 128256,
    maxContext: 131072,
    ...dense,
    source: 'meta-llama/Llama-3.1-70B config.json',
  },
  {
    name: 'Llama-3.1-405B',
    aliases: ['llama3.1-405b'],
    architecture: 'llama',
    layers: 126,
    hiddenSize: 16384,
    ffnHiddenSize: 53248,
    heads: 128,
    kvHeads: 8,
    headDim: 128,
    vocabSize: 128256,
    maxContext: 131072,
    ...dense,
    source: 'meta-llama/Llama-3.1-405B config.json',
  },
  {
    name: 'Llama-3.2-1B',
    aliases: ['llama3.2-1b'],
    architecture: 'llama',
    layers: 16,
    hiddenSize: 2048,
    ffnHiddenSize: 8192,
    heads: 32,
    kvHeads: 8,
    headDim: 64,
    vocabSize: 128256,
    maxContext: 131072,
    ...dense,
    tiedEmbeddings: true,
    source: 'meta-llama/Llama-3.2-1B config.json (tie_word_embeddings)',
  },
  {
    name: 'Llama-3.2-3B',
    aliases: ['llama3.2-3b'],
    architecture: 'llama',
    layers: 28,
    hiddenSize: 3072,
    ffnHiddenSize: 8192,
    heads: 24,
    kvHeads: 8,
    headDim: 128,
    vocabSize: 128256,
    maxContext: 131072,
    ...dense,
    tiedEmbeddings: true,
    source: 'meta-llama/Llama-3.2-3B config.json (tie_word_embeddings)',
  },
  {
    name: 'Mistral-7B',
    aliases: ['mistral-7b-v0.3', 'mistral-7b-instruct'],
    architecture: 'llama',
    layers: 32,
    hiddenSize: 4096,
    ffnHiddenSize: 14336,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    vocabSize: 32768,
    maxContext: 32768,
    ...dense,
    source: 'mistralai/Mistral-7B-v0.3 config.json',
  },
  {
    name: 'Mixtral-8x7B',
    aliases: ['mixtral'],
    architecture: 'llama',
    layers: 32,
    hiddenSize: 4096,
    ffnHiddenSize: 14336,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    vocabSize: 32000,
    maxContext: 32768,
    experts: 8,
    expertsUsed: 2,
    tiedEmbeddings: false,
    qkvBias: false,
    source: 'mistralai/Mixtral-8x7B-v0.1 config.json',
  },
  {
    name: 'Qwen2.5-7B',
    aliases: ['qwen2.5-7b-instruct'],
    architecture: 'qwen2',
    layers: 28,
    hiddenSize: 3584,
    ffnHiddenSize: 18944,
    heads: 28,
    kvHeads: 4,
    headDim: 128,
    vocabSize: 152064,
    maxContext: 32768,
    ...dense,
    qkvBias: true,
    source: 'Qwen/Qwen2.5-7B config.json (native context, without YaRN)',
  },
  {
    name: 'Qwen2.5-32B',
    aliases: ['qwen2.5-32b-instruct'],
    architecture: 'qwen2',
    layers: 64,
    hiddenSize: 5120,
    ffnHiddenSize: 27648,
    heads: 40,
    kvHeads: 8,
    headDim: 128,
    vocabSize: 152064,
    maxContext: 32768,
    ...dense,
    qkvBias: true,
    source: 'Qwen/Qwen2.5-32B config.json (native context, without YaRN)',
  },
  {
    name: 'Qwen2.5-72B',
    aliases: ['qwen2.5-72b-instruct'],
    architecture: 'qwen2',
    layers: 80,
    hiddenSize: 8192,
    ffnHiddenSize: 29568,
    heads: 64,
    kvHeads: 8,
    headDim: 128,
    vocabSize: 152064,
    maxContext: 32768,
    ...dense,
    qkvBias: true,
    source: 'Qwen/Qwen2.5-72B config.json (native context, without YaRN)',
  },
];

export interface Quantization {
  readonly name: string;
  /** Whole-file average bits per weight, as llama.cpp measures it (k-quant mixes keep some tensors wider). */
  readonly bitsPerWeight: number;
  readonly source: string;
}

// K-quant figures: llama.cpp examples/quantize/README.md, "Llama 2 70B" table (the size class we
// plan most). Q8_0 / F16 / BF16 follow from their block layout (34 bytes per 32 weights; 2 bytes).
export const QUANTIZATIONS: readonly Quantization[] = [
  { name: 'F16', bitsPerWeight: 16, source: 'ggml F16: 2 bytes per weight' },
  { name: 'BF16', bitsPerWeight: 16, source: 'ggml BF16: 2 bytes per weight' },
  { name: 'Q8_0', bitsPerWeight: 8.5, source: 'ggml block_q8_0: 34 bytes per 32 weights' },
  { name: 'Q6_K', bitsPerWeight: 6.56, source: 'llama.cpp quantize README, Llama 2 70B' },
  { name: 'Q5_K_M', bitsPerWeight: 5.65, source: 'llama.cpp quantize README, Llama 2 70B' },
  { name: 'Q4_K_M', bitsPerWeight: 4.8, source: 'llama.cpp quantize README, Llama 2 70B' },
  { name: 'Q3_K_M', bitsPerWeight: 3.85, source: 'llama.cpp quantize README, Llama 2 70B' },
  { name: 'Q2_K', bitsPerWeight: 3.4, source: 'llama.cpp quantize README, Llama 2 70B' },
];

export function findModel(name: string): ModelSpec {
  return findByName(MODEL_CATALOG, name, 'model');
}

export function findQuantization(name: string): Quantization {
  return findByName(QUANTIZATIONS, name, 'quantization');
}

/** Parameters of one repeating block: attention, FFN (all experts), router and norms. */
export function layerParameters(model: ModelSpec): { stored: number; active: number } {
  const qDim = model.heads * model.headDim;
  const kvDim = model.kvHeads * model.headDim;
  const attention = model.hiddenSize * qDim * 2 + model.hiddenSize * kvDim * 2 + (model.qkvBias ? qDim + 2 * kvDim : 0);
  const expertFfn = 3 * model.hiddenSize * model.ffnHiddenSize;
  const router = model.experts > 1 ? model.hiddenSize * model.experts : 0;
  const norms = 2 * model.hiddenSize;
  const shared = attention + router + norms;
  return { stored: shared + expertFfn * model.experts, active: shared + expertFfn * model.expertsUsed };
}
