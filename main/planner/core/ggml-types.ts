/**
 * ggml tensor types: elements per block and bytes per block, as in ggml's type_traits table
 * (ggml/src/ggml.c). Ids are stable in the file format; removed ids (4, 5, 31–33, 36–38 Q4_0
 * repacks / IQ4_NL_x variants) are absent so a file using one is refused rather than mis-sized.
 */
export interface GgmlType {
  readonly id: number;
  readonly name: string;
  readonly blockElements: number;
  readonly blockBytes: number;
}

const TYPES: readonly GgmlType[] = [
  { id: 0, name: 'F32', blockElements: 1, blockBytes: 4 },
  { id: 1, name: 'F16', blockElements: 1, blockBytes: 2 },
  { id: 2, name: 'Q4_0', blockElements: 32, blockBytes: 18 },
  { id: 3, name: 'Q4_1', blockElements: 32, blockBytes: 20 },
  { id: 6, name: 'Q5_0', blockElements: 32, blockBytes: 22 },
  { id: 7, name: 'Q5_1', blockElements: 32, blockBytes: 24 },
  { id: 8, name: 'Q8_0', blockElements: 32, blockBytes: 34 },
  { id: 9, name: 'Q8_1', blockElements: 32, blockBytes: 36 },
  { id: 10, name: 'Q2_K', blockElements: 256, blockBytes: 84 },
  { id: 11, name: 'Q3_K', blockElements: 256, blockBytes: 110 },
  { id: 12, name: 'Q4_K', blockElements: 256, blockBytes: 144 },
  { id: 13, name: 'Q5_K', blockElements: 256, blockBytes: 176 },
  { id: 14, name: 'Q6_K', blockElements: 256, blockBytes: 210 },
  { id: 15, name: 'Q8_K', blockElements: 256, blockBytes: 292 },
  { id: 16, name: 'IQ2_XXS', blockElements: 256, blockBytes: 66 },
  { id: 17, name: 'IQ2_XS', blockElements: 256, blockBytes: 74 },
  { id: 18, name: 'IQ3_XXS', blockElements: 256, blockBytes: 98 },
  { id: 19, name: 'IQ1_S', blockElements: 256, blockBytes: 50 },
  { id: 20, name: 'IQ4_NL', blockElements: 32, blockBytes: 18 },
  { id: 21, name: 'IQ3_S', blockElements: 256, blockBytes: 110 },
  { id: 22, name: 'IQ2_S', blockElements: 256, blockBytes: 82 },
  { id: 23, name: 'IQ4_XS', blockElements: 256, blockBytes: 136 },
  { id: 24, name: 'I8', blockElements: 1, blockBytes: 1 },
  { id: 25, name: 'I16', blockElements: 1, blockBytes: 2 },
  { id: 26, name: 'I32', blockElements: 1, blockBytes: 4 },
  { id: 27, name: 'I64', blockElements: 1, blockBytes: 8 },
  { id: 28, name: 'F64', blockElements: 1, blockBytes: 8 },
  { id: 29, name: 'IQ1_M', blockElements: 256, blockBytes: 56 },
  { id: 30, name: 'BF16', blockElements: 1, blockBytes: 2 },
  { id: 34, name: 'TQ1_0', blockElements: 256, blockBytes: 54 },
  { id: 35, name: 'TQ2_0', blockElements: 256, blockBytes: 66 },
  { id: 39, name: 'MXFP4', blockElements: 32, blockBytes: 17 },
];

const BY_ID = new Map(TYPES.map((t) => [t.id, t]));

export function ggmlType(id: number): GgmlType | undefined {
  return BY_ID.get(id);
}

export function ggmlTypeByName(name: string): GgmlType | undefined {
  return TYPES.find((t) => t.name === name);
}

/** Exact bytes of a tensor, or null when its first dimension does not fill whole blocks. */
export function tensorBytes(type: GgmlType, dims: readonly number[]): number | null {
  const first = dims[0] ?? 1;
  if (first % type.blockElements !== 0) return null;
  let rows = 1;
  for (let i = 1; i < dims.length; i++) rows *= dims[i] ?? 1;
  return (first / type.blockElements) * type.blockBytes * rows;
}

/** llama_ftype ids (general.file_type) to the names technicians use. */
export const FILE_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'F32'],
  [1, 'F16'],
  [2, 'Q4_0'],
  [3, 'Q4_1'],
  [7, 'Q8_0'],
  [8, 'Q5_0'],
  [9, 'Q5_1'],
  [10, 'Q2_K'],
  [11, 'Q3_K_S'],
  [12, 'Q3_K_M'],
  [13, 'Q3_K_L'],
  [14, 'Q4_K_S'],
  [15, 'Q4_K_M'],
  [16, 'Q5_K_S'],
  [17, 'Q5_K_M'],
  [18, 'Q6_K'],
  [19, 'IQ2_XXS'],
  [20, 'IQ2_XS'],
  [21, 'Q2_K_S'],
  [22, 'IQ3_XS'],
  [23, 'IQ3_XXS'],
  [24, 'IQ1_S'],
  [25, 'IQ4_NL'],
  [26, 'IQ3_S'],
  [27, 'IQ3_M'],
  [28, 'IQ2_S'],
  [29, 'IQ2_M'],
  [30, 'IQ4_XS'],
  [31, 'IQ1_M'],
  [32, 'BF16'],
  [36, 'TQ1_0'],
  [37, 'TQ2_0'],
  [38, 'MXFP4_MOE'],
]);
