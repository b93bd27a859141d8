/**
 * `logs --follow` polls a window of each worker's last lines. What is new is
 * what follows the longest overlap between the previous window's end and the
 * new window: matching only the last line would skip or repeat output
 * whenever a line repeats (a progress line, a blank line). No overlap means
 * more lines arrived than one window holds, or the log was rotated: the whole
 * window is new, and `gap` says lines may be missing.
 */
export function linesAfter(previous: readonly string[], current: readonly string[]): { lines: string[]; gap: boolean } {
  for (let overlap = Math.min(previous.length, current.length); overlap > 0; overlap--) {
    const tail = previous.slice(previous.length - overlap);
    for (let end = current.length; end >= overlap; end--) {
      if (tail.every((line, i) => current[end - overlap + i] === line)) return { lines: current.slice(end), gap: false };
    }
  }
  return { lines: [...current], gap: previous.length > 0 && current.length > 0 };
}
