import { createHash } from 'node:crypto';
import { shellQuote } from '../../platform/ssh/core/shell-quote.js';
import { OutpostError } from '../../../shared/errors.js';
import type { RemoteShell } from '../../platform/ssh/index.js';
import { readGgufHeader, type ByteSource, type GgufHeader } from '../core/gguf-header.js';

export interface NodeGgufHeader {
  header: GgufHeader;
  sizeBytes: number;
  /** sha256 of the first MiB, as the probe computes it. */
  headerDigest: string;
  /** What crossed the wire, for tests that check the weights were never read. */
  bytesRead: number;
}

/**
 * Tokenizer metadata runs to several MiB (a 150k-entry vocabulary), so the cap sits well above
 * it; a header past it is refused rather than streamed: the weights are never read.
 */
export const NODE_HEADER_CAP = 64 * 2 ** 20;
const FIRST_WINDOW = 2 ** 20;
const MAX_WINDOW = 16 * 2 ** 20;
const EXEC_TIMEOUT_MS = 30_000;
const MISSING = 44;
const NOT_FILE = 45;
const UNREADABLE = 46;

/**
 * One bounded read: the file's size on the first line, then at most `length` bytes from `offset`.
 * The path is quoted; OUTPOST_PROBE_ROOT prefixes it as in discovery's probe (only the simulated
 * site sets it), so the path is the one the probe reported.
 */
export function windowCommand(filePath: string, offset: number, length: number): string {
  return [
    `f=\${OUTPOST_PROBE_ROOT-}${shellQuote(filePath)}`,
    `[ -e "$f" ] || exit ${MISSING}`,
    `[ -f "$f" ] || exit ${NOT_FILE}`,
    `[ -r "$f" ] || exit ${UNREADABLE}`,
    `s=$(stat -c %s "$f" 2>/dev/null || wc -c <"$f") || exit ${UNREADABLE}`,
    `printf '%s\\n' "$s"`,
    `tail -c +${offset + 1} "$f" | head -c ${length}`,
  ].join('\n');
}

/**
 * Reads a GGUF header from a file on a node through one SSH session, in growing windows
 * (1 MiB, then up to 16 MiB) served from the last window when the parser's reads fall inside it.
 */
export async function readNodeGgufHeader(shell: Pick<RemoteShell, 'exec'>, node: string, filePath: string, options: { signal?: AbortSignal | undefined; capBytes?: number } = {}): Promise<NodeGgufHeader> {
  const { signal, capBytes = NODE_HEADER_CAP } = options;
  const where = `${node}:${filePath}`;
  let bytesRead = 0;
  let windowSize = FIRST_WINDOW;
  const fetch = async (offset: number, length: number): Promise<{ size: number; bytes: Buffer }> => {
    const answer = await shell.exec(windowCommand(filePath, offset, length), { timeoutMs: EXEC_TIMEOUT_MS, signal, maxBytes: length + 64 });
    if (answer.exitCode === MISSING) throw new OutpostError('NOT_FOUND', `${where} is gone: the file is no longer on the node`, `scan ${node} again (\`outpost discover\`) to refresh its model files`);
    if (answer.exitCode === NOT_FILE) throw new OutpostError('INVALID_INPUT', `${where} is not a regular file`, 'pick a .gguf model file');
    if (answer.exitCode === UNREADABLE) throw new OutpostError('INVALID_INPUT', `${where} cannot be read by the login user`, `make it readable for the user Outpost logs into ${node} with`);
    const newline = answer.stdout.indexOf(0x0a);
    const sizeText = newline > 0 ? answer.stdout.subarray(0, newline).toString('latin1') : '';
    if (answer.exitCode !== 0 || !/^\d+$/.test(sizeText)) {
      throw new OutpostError('UNAVAILABLE', `reading ${where} failed (exit ${answer.exitCode ?? 'signal'}): ${answer.stderr.trim().slice(0, 200) || 'no size line'}`, `check that ${node} has a POSIX shell with stat or wc, tail and head`);
    }
    const bytes = answer.stdout.subarray(newline + 1);
    bytesRead += bytes.length;
    return { size: Number(sizeText), bytes };
  };

  const first = await fetch(0, Math.min(FIRST_WINDOW, capBytes));
  const size = first.size;
  const headerDigest = createHash('sha256').update(first.bytes.subarray(0, FIRST_WINDOW)).digest('hex');
  let cached = { start: 0, bytes: first.bytes };
  const source: ByteSource = {
    size,
    async read(offset, length) {
      const inCache = offset - cached.start;
      if (inCache >= 0 && inCache + length <= cached.bytes.length) return cached.bytes.subarray(inCache, inCache + length);
      const room = capBytes - bytesRead;
      if (length > room) {
        throw new OutpostError('INVALID_INPUT', `the GGUF header of ${where} runs past ${(capBytes / 2 ** 20).toFixed(0)} MiB; refusing to read more of it`, 'the file is corrupt, or not a model file; copy a known-good GGUF to the node');
      }
      windowSize = Math.min(MAX_WINDOW, windowSize * 4);
      const want = Math.min(Math.max(length, windowSize), size - offset, room);
      const next = await fetch(offset, want);
      if (next.size !== size) throw new OutpostError('CONFLICT', `${where} changed while its header was read (${size} bytes, now ${next.size})`, 'wait for the copy to finish, then plan again');
      cached = { start: offset, bytes: next.bytes };
      return next.bytes.subarray(0, length);
    },
  };
  try {
    const header = await readGgufHeader(source);
    return { header, sizeBytes: size, headerDigest, bytesRead };
  } catch (error) {
    if (error instanceof OutpostError && !error.message.includes(where)) throw new OutpostError(error.code, `${where}: ${error.message}`, error.hint, { cause: error });
    throw error;
  }
}
