import { InvalidArgumentError } from 'commander';

/** A usage error (exit 2) for a malformed number, before anything runs. */
export const integerBetween = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  return n;
};
