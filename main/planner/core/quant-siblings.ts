import { QUANTIZATIONS } from './catalog-models.js';

/** The quantisation a GGUF file's name ends with (llama.cpp's naming: `<model>-Q4_K_M.gguf`), and the name before it. */
export function quantOfFileName(path: string): { base: string; quant: string } | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const match = /^(.+?)[-._](I?Q\d(?:_[A-Za-z0-9]+)*|BF16|F16|F32)\.gguf$/i.exec(name);
  return match ? { base: (match[1] as string).toLowerCase(), quant: (match[2] as string).toUpperCase() } : null;
}

const bitsOf = (quant: string): number | undefined => QUANTIZATIONS.find((q) => q.name === quant)?.bitsPerWeight;

/**
 * Files of the same model (same name before the quantisation) in a smaller quantisation than its own (or than
 * `bitsPerWeight` when the catalog does not know it),
 * largest first: what a re-plan may fall back to when the model no longer fits. Quantisations the catalog does
 * not know are left out (their size cannot be compared).
 */
export function smallerQuantSiblings<F extends { path: string }>(modelPath: string, bitsPerWeight: number, files: readonly F[]): F[] {
  const own = quantOfFileName(modelPath);
  if (!own) return [];
  // The catalog's figure for the file's own quantisation: a file's measured bits per weight differ from the
  // catalog's by a little, and the file itself must never count as smaller than itself.
  const limit = bitsOf(own.quant) ?? bitsPerWeight;
  return files
    .map((file) => ({ file, named: quantOfFileName(file.path) }))
    .map(({ file, named }) => ({ file, bits: named && named.base === own.base ? bitsOf(named.quant) : undefined }))
    .filter((c): c is { file: F; bits: number } => c.bits !== undefined && c.bits < limit)
    .sort((a, b) => b.bits - a.bits)
    .map((c) => c.file);
}
