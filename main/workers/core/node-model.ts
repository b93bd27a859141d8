import { shellQuote } from '../../platform/ssh/core/shell-quote.js';
import type { PlanModelFile } from './ports.js';

/** A model file on a node that the plan was made from, as the plan recorded it (size, sha256 of its first MiB). */
export type NodeModelFile = Required<PlanModelFile> & { node: string };

/** How much of the file discovery's probe (and the planner's header read) hashes: its first MiB. */
const HEADER_BYTES = 1_048_576;

/**
 * Reads the file in place on its node: its real path (OUTPOST_PROBE_ROOT prefixes it as in discovery's probe;
 * only the simulated site sets it), its size and the digest of its first MiB. The weights are not read.
 */
export function nodeModelScript(path: string): string {
  return [
    `f=\${OUTPOST_PROBE_ROOT-}${shellQuote(path)}`,
    `if [ ! -f "$f" ] || [ ! -r "$f" ]; then echo missing; exit 0; fi`,
    `printf 'path %s\\n' "$(readlink -f "$f")"`,
    `printf 'size %s\\n' "$(stat -c %s "$f")"`,
    `printf 'head %s\\n' "$(head -c ${HEADER_BYTES} "$f" | sha256sum | cut -d' ' -f1)"`,
  ].join('\n');
}

/** The path to load the file from in place, or why it may not be: gone, or not the file the plan was made from. */
export function nodeModelVerdict(file: NodeModelFile, output: string): { path: string } | { problem: string } {
  const fields = new Map(
    output
      .split('\n')
      .map((line) => /^(path|size|head) (.+)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] as string, m[2] as string]),
  );
  const path = fields.get('path');
  const size = Number(fields.get('size'));
  const digest = fields.get('head');
  if (!path || !digest || !Number.isFinite(size)) return { problem: `the model file ${file.path} the plan was made from is gone or unreadable` };
  if (digest !== file.headerDigest || size !== file.sizeBytes) {
    return {
      problem: `the model file ${file.path} changed since it was scanned and planned (first-MiB digest ${digest.slice(0, 12)}…, ${size} bytes; the plan read ${file.headerDigest.slice(0, 12)}…, ${file.sizeBytes} bytes): scan ${file.node} and plan again`,
    };
  }
  return { path };
}
