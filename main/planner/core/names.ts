import { OutpostError } from '../../../shared/errors.js';

/** Case- and punctuation-insensitive key, so "a100 80gb" finds "A100-80GB". */
export function nameKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.]/g, '');
}

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest names first; a technician mistyping "A100-80" should see "A100-80GB". */
export function nearestNames(wanted: string, names: readonly string[], limit = 3): string[] {
  const key = nameKey(wanted);
  return names
    .map((name) => {
      const other = nameKey(name);
      // A name containing what was typed ("A100" → "A100-80GB", "A100-40GB") beats a
      // short unrelated one at a smaller edit distance ("A10G").
      const contains = key.length >= 2 && other.includes(key) ? 0 : 1;
      return { name, contains, distance: editDistance(key, other) };
    })
    .sort((x, y) => x.contains - y.contains || x.distance - y.distance || x.name.localeCompare(y.name))
    .slice(0, limit)
    .map((entry) => entry.name);
}

/** Finds a named entry (exact key match, then aliases) or throws NOT_FOUND with the nearest names. */
export function findByName<T extends { readonly name: string; readonly aliases?: readonly string[] }>(entries: readonly T[], wanted: string, what: string): T {
  const key = nameKey(wanted);
  const found = entries.find((entry) => nameKey(entry.name) === key || (entry.aliases ?? []).some((alias) => nameKey(alias) === key));
  if (found !== undefined) return found;
  const suggestions = nearestNames(
    wanted,
    entries.map((entry) => entry.name),
  );
  throw new OutpostError('NOT_FOUND', `Unknown ${what} "${wanted}".`, `Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}? Known: ${entries.map((e) => e.name).join(', ')}.`);
}
