/**
 * Splits the chunks a bundle carries across media of at most `capacity`
 * bytes, in order, keeping room on each for the signed manifest and the
 * medium descriptor (every medium carries both, so each is self-describing).
 */
export function planMedia(chunks: ReadonlyArray<readonly [string, number]>, capacity: number, overheadPerMedium: number): string[][] | { tooSmall: number } {
  const room = capacity - overheadPerMedium;
  const largest = chunks.reduce((max, [, size]) => Math.max(max, size), 0);
  if (room <= 0 || largest > room) return { tooSmall: overheadPerMedium + largest };
  const media: string[][] = [[]];
  let used = 0;
  for (const [digest, size] of chunks) {
    if (used + size > room) {
      media.push([]);
      used = 0;
    }
    (media[media.length - 1] as string[]).push(digest);
    used += size;
  }
  return media;
}

/** "32G", "500M", "1.5T", "1048576": binary units, as drives are sold in decimal but file systems count in binary. */
export function parseSize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?$/i.exec(text.trim());
  if (!match) return null;
  const unit = (match[2] ?? 'B').charAt(0).toUpperCase();
  const power = { B: 0, K: 1, M: 2, G: 3, T: 4 }[unit] ?? 0;
  const bytes = Math.floor(Number(match[1]) * 1024 ** power);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}
