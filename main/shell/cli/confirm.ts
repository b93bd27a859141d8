import readline from 'node:readline/promises';
import { OutpostError, type ErrorInfo } from '../../../shared/errors.js';
import { terminalSafe } from './terminal-text.js';

/**
 * Asks a yes/no question at the terminal; anything but y/yes refuses with `declined`. Without a terminal nobody
 * can answer, so it refuses with `noTerminal` (whose hint names the flag that confirms in advance).
 */
export async function confirm(question: string, refusals: { noTerminal: Omit<ErrorInfo, 'code'>; declined: Omit<ErrorInfo, 'code'> }): Promise<void> {
  if (!process.stdin.isTTY) throw new OutpostError('PRECONDITION', refusals.noTerminal.message, refusals.noTerminal.hint);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(terminalSafe(question))).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new OutpostError('CANCELLED', refusals.declined.message, refusals.declined.hint);
  } finally {
    rl.close();
  }
}
