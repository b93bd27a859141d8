import { layerParameters, type ModelShape, type ModelSpec, type Quantization } from './catalog-models.js';

/**
 * Everything the memory and time models need about one model in one quantization, whether it
 * came from the catalog (figures × measured bits per weight) or from a GGUF header (exact bytes).
 */
export interface ModelProfile extends ModelShape {
  readonly quantization: string;
  /** Whole-model average, for what-ifs and display. */
  readonly bitsPerWeight: number;
  /**
   * Bytes charged per repeating block. The optimiser treats blocks as identical, so this is the
   * heaviest block (k-quant mixes give some blocks wider tensors): every range it places fits.
   */
  readonly layerBytes: number;
  /** Bytes one token reads from a block (MoE: only the experts it uses). */
  readonly layerActiveBytes: number;
  /** Parameters one token multiplies in a block, for FLOPs. */
  readonly layerActiveParams: number;
  /** Smallest and mean block, so a plan can say how conservative `layerBytes` is. */
  readonly layerBytesMin: number;
  readonly layerBytesMean: number;
  /** Token embedding (+ any tensor outside the blocks that is not the head): first stage. */
  readonly embeddingBytes: number;
  /** Output head + final norm: last stage (tied embeddings: a duplicate of the embedding). */
  readonly outputBytes: number;
  readonly totalBytes: number;
  readonly source: 'catalog' | 'gguf';
}

export function profileFromCatalog(model: ModelSpec, quant: Quantization): ModelProfile {
  const params = layerParameters(model);
  const bytesOf = (count: number): number => Math.ceil((count * quant.bitsPerWeight) / 8);
  const layerBytes = bytesOf(params.stored);
  const embeddingBytes = bytesOf(model.vocabSize * model.hiddenSize);
  // The final norm stays F32 in every llama.cpp mix.
  const outputBytes = bytesOf(model.vocabSize * model.hiddenSize) + model.hiddenSize * 4;
  return {
    name: model.name,
    architecture: model.architecture,
    layers: model.layers,
    hiddenSize: model.hiddenSize,
    ffnHiddenSize: model.ffnHiddenSize,
    heads: model.heads,
    kvHeads: model.kvHeads,
    headDim: model.headDim,
    vocabSize: model.vocabSize,
    maxContext: model.maxContext,
    experts: model.experts,
    expertsUsed: model.expertsUsed,
    quantization: quant.name,
    bitsPerWeight: quant.bitsPerWeight,
    layerBytes,
    layerActiveBytes: bytesOf(params.active),
    layerActiveParams: params.active,
    layerBytesMin: layerBytes,
    layerBytesMean: layerBytes,
    embeddingBytes,
    outputBytes,
    totalBytes: layerBytes * model.layers + embeddingBytes + (model.tiedEmbeddings ? 0 : outputBytes),
    source: 'catalog',
  };
}

/** The same model at another quantization, scaled by bits per weight (for what-if rows). */
export function requantised(profile: ModelProfile, quant: Quantization): ModelProfile {
  const ratio = quant.bitsPerWeight / profile.bitsPerWeight;
  const scale = (bytes: number): number => Math.ceil(bytes * ratio);
  return {
    ...profile,
    quantization: quant.name,
    bitsPerWeight: quant.bitsPerWeight,
    layerBytes: scale(profile.layerBytes),
    layerActiveBytes: scale(profile.layerActiveBytes),
    layerBytesMin: scale(profile.layerBytesMin),
    layerBytesMean: scale(profile.layerBytesMean),
    embeddingBytes: scale(profile.embeddingBytes),
    outputBytes: scale(profile.outputBytes),
    totalBytes: scale(profile.totalBytes),
  };
}
