/** A byte range of a file, as the staged log names it: the same bytes whatever chunk list a bundle gives the file. */
export function stagedRange(offset: number, size: number): string {
  return `${offset}+${size}`;
}
