/**
 * Quotes one value for a POSIX shell: single quotes around it, each embedded
 * single quote written as '\''. Every value Outpost puts into a remote command
 * goes through here, so `$(…)`, backticks, quotes and newlines stay inert text.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A command line from a program and its arguments, every part quoted. */
export function shellCommand(program: string, args: readonly string[]): string {
  return [program, ...args].map(shellQuote).join(' ');
}
