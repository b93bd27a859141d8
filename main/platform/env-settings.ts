import { OutpostError } from '../../shared/errors.js';

/**
 * An operator setting read from the environment (README, "Settings"). A malformed or out-of-range value is
 * refused with the variable's name: a typo must not turn a 2 s supervision round into a busy loop.
 */
export function envInteger(name: string, fallback: number, range: { min: number; max: number }, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < range.min || value > range.max) {
    throw new OutpostError('INVALID_INPUT', `${name}=${JSON.stringify(raw.slice(0, 40))} is not a whole number from ${range.min} to ${range.max}`, `fix or unset ${name} (default ${fallback})`);
  }
  return value;
}
