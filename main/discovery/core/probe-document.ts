/** One framed section of the probe's output: its raw bytes and how the command ended. */
export interface ProbeSection {
  bytes: Uint8Array;
  /** A command's exit status, or "absent" when the file or tool does not exist on the host. */
  status: number | 'absent';
}

export type ProbeDocument = Map<string, ProbeSection>;

/** Why a probe's output could not be read; the message names what was wrong. */
export class ProbeFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeFormatError';
  }
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/**
 * Splits the probe's output at its boundary lines. Works on bytes (hostnames,
 * paths and tool output need not be UTF-8): latin1 maps each byte to one
 * char, so string offsets are byte offsets.
 */
export function splitProbeDocument(output: Uint8Array, boundary: string): ProbeDocument {
  const text = latin1(output);
  const begin = text.indexOf(`${boundary} begin 1\n`);
  if (begin < 0) {
    const preview = text.slice(0, 60).replace(/[^\x20-\x7e]/g, '?');
    throw new ProbeFormatError(`the host's answer is not an Outpost probe document (it starts "${preview}")`);
  }
  const endMarker = `\n${boundary} end\n`;
  const end = text.indexOf(endMarker, begin);
  if (end < 0) throw new ProbeFormatError(`the probe output was cut short after ${output.byteLength} bytes (no end marker)`);
  const sections: ProbeDocument = new Map();
  const opener = `\n${boundary} sec `;
  const closer = `\n${boundary} rc `;
  let at = text.indexOf(opener, begin);
  while (at >= 0 && at < end) {
    const nameEnd = text.indexOf('\n', at + opener.length);
    const close = text.indexOf(closer, nameEnd);
    if (nameEnd < 0 || close < 0 || close > end) throw new ProbeFormatError('a probe section is not closed');
    const name = text.slice(at + opener.length, nameEnd);
    const statusEnd = text.indexOf('\n', close + closer.length);
    const statusText = text.slice(close + closer.length, statusEnd);
    const status = statusText === 'absent' ? 'absent' : Number(statusText);
    if (status !== 'absent' && !Number.isInteger(status)) throw new ProbeFormatError(`section "${name}" has an unreadable status "${statusText.slice(0, 20)}"`);
    sections.set(name, { bytes: output.subarray(nameEnd + 1, close), status });
    at = text.indexOf(opener, statusEnd);
  }
  return sections;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Text of a section for display: invalid UTF-8 bytes become U+FFFD, never an exception. */
export function sectionText(doc: ProbeDocument, name: string): string | null {
  const section = doc.get(name);
  if (!section || section.status === 'absent') return null;
  return utf8.decode(section.bytes);
}

export function sectionStatus(doc: ProbeDocument, name: string): number | 'absent' | 'missing' {
  return doc.get(name)?.status ?? 'missing';
}
