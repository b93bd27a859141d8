/**
 * Characters that are not text: C0 controls other than newline and tab (NUL, ESC, which starts
 * clear-screen and window-title sequences, BEL, which ends them, CR, which overwrites a line),
 * DEL, the C1 controls (U+009B is a one-character CSI on some terminals), and the bidi overrides
 * and isolates that make text read in another order than it is stored.
 */
const HIDDEN_CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g; // eslint-disable-line no-control-regex -- finding them is the point

/** Newline and tab as well: a one-line value (a hostname, a GPU name) has no layout of its own. */
const LINE_CONTROLS = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g; // eslint-disable-line no-control-regex -- finding them is the point

/** Text with the controls removed; newline and tab stay, as layout of a multi-line text. */
export function withoutControls(text: string): string {
  return text.replace(HIDDEN_CONTROLS, '');
}

/** A one-line value with every control removed, and how many there were. */
export function oneLine(text: string): { text: string; removed: number } {
  let removed = 0;
  const cleaned = text.replace(LINE_CONTROLS, () => {
    removed++;
    return '';
  });
  return { text: cleaned, removed };
}
