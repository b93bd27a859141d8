import { oneLine } from '../../../shared/control-characters.js';
import type { PhysicalBound } from '../../../shared/domain/discovery.js';

/**
 * A figure as a tool prints it: digits, an optional fraction and exponent, then at most a unit
 * (`80 %`, `39.32 W`, `23028 MiB`). Anything else after the digits is not a figure: reading only
 * the leading digits made nvidia-smi's `1e400` one MiB.
 */
const FIGURE = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:[A-Za-z%°/]+)?$/;

const quoted = (raw: string): string => JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);

function describe(bound: PhysicalBound): string {
  return `${bound.min}–${bound.max} ${bound.unit}${bound.integer ? ', whole' : ''}`;
}

/**
 * Checks a host's answers field by field as they are parsed. A figure that is not a number, not
 * finite or outside what hardware can be becomes unreadable (null), and a name loses its control
 * characters; each time the reason goes into `warnings`, so the node shows why a field is empty
 * and the rest of its inventory stays.
 */
export class InventoryChecks {
  readonly warnings: string[] = [];

  /** `raw` times `scale` (1024 for kB), within `bound`; null when absent, unreadable or out of bounds. */
  figure(field: string, raw: string | null | undefined, bound: PhysicalBound, scale = 1): number | null {
    if (raw === null || raw === undefined) return null;
    const text = raw.trim();
    const match = FIGURE.exec(text);
    if (!match) {
      this.warnings.push(`${field}: ${quoted(text)} is not a number; kept as unreadable`);
      return null;
    }
    const value = Number(match[1]) * scale;
    if (!Number.isFinite(value) || value < bound.min || value > bound.max || (bound.integer === true && !Number.isInteger(value))) {
      this.warnings.push(`${field}: ${quoted(text)} is outside ${describe(bound)}; kept as unreadable`);
      return null;
    }
    return value;
  }

  /** A one-line name without control characters (NUL, escape sequences, bidi overrides); null when nothing is left. */
  name(field: string, raw: string | null | undefined): string | null {
    if (raw === null || raw === undefined) return null;
    // Surrounding whitespace (the newline after a hostname) is layout, not a control character to report.
    const { text, removed } = oneLine(raw.trim());
    if (removed > 0) this.warnings.push(`${field}: ${removed} control character(s) removed`);
    const trimmed = text.trim();
    return trimmed.length > 0 ? trimmed : null;
  }
}
