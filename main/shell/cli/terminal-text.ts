import { withoutControls } from '../../../shared/control-characters.js';

/**
 * Human text as a terminal may safely show it: hostnames, GPU names, log lines, file paths and
 * error messages that echo them come from hosts or from a user's arguments, and a terminal must
 * not obey escape sequences hidden in them. `--json` output needs none of this: JSON escapes them.
 */
export function terminalSafe(text: string): string {
  return withoutControls(text);
}
