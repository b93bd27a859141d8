/**
 * Just enough HTTP/1.1 response parsing for the router's hot path: the head
 * (status, the few headers the router acts on) and where the body ends. The
 * body's bytes are never decoded and re-encoded: a chunked stream is handed
 * to the client exactly as the endpoint framed it, less its final chunk, so a
 * streamed token costs one read and one write.
 */

export type BodyKind = 'chunked' | 'length' | 'until-close' | 'none';

export interface ResponseHead {
  status: number;
  contentType: string | null;
  body: BodyKind;
  /** Body length when `body` is 'length'. */
  length: number;
  /** Whether the connection may carry another request after this response. */
  keepAlive: boolean;
  /** How long the endpoint keeps an idle connection open (`Keep-Alive: timeout=N`), when it says. */
  keepAliveTimeoutMs: number | null;
}

export type HeadParse = { kind: 'incomplete' } | { kind: 'invalid'; reason: string } | { kind: 'head'; head: ResponseHead; consumed: number; informational: boolean };

export const MAX_HEAD_BYTES = 64 * 1024;
const MAX_SIZE_LINE_BYTES = 4 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/;

/** Parses a response head from the start of `buffer`; 1xx heads are reported as informational, to be skipped. */
export function parseResponseHead(buffer: Buffer): HeadParse {
  const end = buffer.indexOf(HEAD_END);
  if (end === -1) return buffer.length > MAX_HEAD_BYTES ? { kind: 'invalid', reason: `response headers over ${MAX_HEAD_BYTES} bytes` } : { kind: 'incomplete' };
  if (end > MAX_HEAD_BYTES) return { kind: 'invalid', reason: `response headers over ${MAX_HEAD_BYTES} bytes` };
  const lines = buffer.toString('latin1', 0, end).split('\r\n');
  const statusLine = STATUS_LINE.exec(lines[0] ?? '');
  if (!statusLine) return { kind: 'invalid', reason: `not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 60))}` };
  const minor = Number(statusLine[1]);
  const status = Number(statusLine[2]);
  let contentType: string | null = null;
  let contentLength: number | null = null;
  let chunked = false;
  let connection = '';
  let keepAliveTimeoutMs: number | null = null;
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0 || line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) return { kind: 'invalid', reason: `malformed header line: ${JSON.stringify(line.slice(0, 60))}` };
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-type') contentType = value;
    else if (name === 'connection') connection += `${value.toLowerCase()},`;
    else if (name === 'keep-alive') {
      const timeout = /(?:^|[,\s])timeout=(\d{1,6})/i.exec(value);
      if (timeout) keepAliveTimeoutMs = Number(timeout[1]) * 1000;
    } else if (name === 'transfer-encoding') {
      const codings = value
        .toLowerCase()
        .split(',')
        .map((c) => c.trim());
      if (codings[codings.length - 1] !== 'chunked' || codings.length > 1) return { kind: 'invalid', reason: `unsupported transfer-encoding ${JSON.stringify(value.slice(0, 60))}` };
      chunked = true;
    } else if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value) || (contentLength !== null && contentLength !== Number(value))) return { kind: 'invalid', reason: `invalid content-length ${JSON.stringify(value.slice(0, 30))}` };
      contentLength = Number(value);
    }
  }
  const informational = status >= 100 && status < 200;
  const noBody = informational || status === 204 || status === 304;
  // RFC 9112 §6.3: chunked wins over a length; neither means the body runs until the connection closes.
  const body: BodyKind = noBody ? 'none' : chunked ? 'chunked' : contentLength !== null ? 'length' : 'until-close';
  const closes = connection.includes('close') || (minor === 0 && !connection.includes('keep-alive'));
  const head: ResponseHead = { status, contentType, body, length: body === 'length' ? (contentLength as number) : 0, keepAlive: !closes && body !== 'until-close' && !(chunked && contentLength !== null), keepAliveTimeoutMs };
  return { kind: 'head', head, consumed: end + HEAD_END.length, informational };
}

export interface BodyStep {
  /** The bytes to pass on: a prefix of what was pushed (and held back before), never the final chunk or trailers. */
  forward: Buffer;
  /** The body's payload in `forward`, with the chunk framing taken off (only when asked for). */
  payload: Buffer[] | null;
  ended: boolean;
  /** Bytes after the end of the body: from an endpoint, misbehaviour (the connection cannot be reused); from a client, its next request. */
  rest: Buffer;
}

type ChunkState = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailer';

/**
 * Follows a body's framing as bytes arrive. For a chunked body the forwarded
 * bytes stay framed; a size line split across reads is held back until it is
 * whole, so the final `0` chunk is recognised before any of it is passed on
 * (the client's side writes its own final chunk when the response ends).
 */
export class BodyFraming {
  private state: ChunkState = 'size';
  private remaining: number;
  private held: Buffer | null = null;
  private done: boolean;

  constructor(
    readonly kind: BodyKind,
    length = 0,
  ) {
    this.remaining = kind === 'length' ? length : 0;
    this.done = kind === 'none' || (kind === 'length' && length === 0);
  }

  get ended(): boolean {
    return this.done;
  }

  /** True when the bytes passed on so far end on a chunk boundary, so a chunk of the router's own may follow. */
  atChunkBoundary(): boolean {
    return this.kind === 'chunked' && this.state === 'size';
  }

  push(bytes: Buffer, wantPayload: boolean): BodyStep | { error: string } {
    if (this.done) return { forward: EMPTY, payload: null, ended: true, rest: bytes };
    if (this.kind === 'until-close') return { forward: bytes, payload: wantPayload ? [bytes] : null, ended: false, rest: EMPTY };
    if (this.kind === 'length') {
      const take = Math.min(this.remaining, bytes.length);
      this.remaining -= take;
      this.done = this.remaining === 0;
      const forward = take === bytes.length ? bytes : bytes.subarray(0, take);
      return { forward, payload: wantPayload ? [forward] : null, ended: this.done, rest: take < bytes.length ? bytes.subarray(take) : EMPTY };
    }
    return this.pushChunked(bytes, wantPayload);
  }

  private pushChunked(incoming: Buffer, wantPayload: boolean): BodyStep | { error: string } {
    const input = this.held ? Buffer.concat([this.held, incoming]) : incoming;
    this.held = null;
    const payload: Buffer[] | null = wantPayload ? [] : null;
    let at = 0;
    let forwardEnd = 0;
    while (at < input.length) {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, input.length - at);
        payload?.push(input.subarray(at, at + take));
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'data-cr';
        forwardEnd = at;
      } else if (this.state === 'data-cr' || this.state === 'data-lf') {
        // The CRLF after a chunk's data, byte by byte: it may be split across reads.
        if (input[at] !== (this.state === 'data-cr' ? 13 : 10)) return { error: 'a chunk did not end with CRLF' };
        at += 1;
        forwardEnd = at;
        this.state = this.state === 'data-cr' ? 'data-lf' : 'size';
      } else if (this.state === 'size') {
        const lineEnd = input.indexOf(10, at);
        if (lineEnd === -1) {
          if (input.length - at > MAX_SIZE_LINE_BYTES) return { error: `a chunk size line is over ${MAX_SIZE_LINE_BYTES} bytes` };
          this.held = input.subarray(at);
          break;
        }
        const size = parseChunkSize(input, at, lineEnd);
        if (size === null) return { error: `invalid chunk size line ${JSON.stringify(input.toString('latin1', at, Math.min(lineEnd, at + 40)))}` };
        if (size === 0) {
          this.state = 'trailer';
          at = lineEnd + 1;
          continue;
        }
        this.remaining = size;
        this.state = 'data';
        at = lineEnd + 1;
        forwardEnd = at;
      } else {
        // Trailer fields, then an empty line; none of it is passed on.
        const lineEnd = input.indexOf(10, at);
        if (lineEnd === -1) {
          if (input.length - at > MAX_HEAD_BYTES) return { error: `trailers over ${MAX_HEAD_BYTES} bytes` };
          this.held = input.subarray(at);
          break;
        }
        const empty = lineEnd === at || (lineEnd === at + 1 && input[at] === 13);
        at = lineEnd + 1;
        if (empty) {
          this.done = true;
          break;
        }
      }
    }
    const forward = forwardEnd === input.length ? input : input.subarray(0, forwardEnd);
    return { forward, payload, ended: this.done, rest: this.done && at < input.length ? input.subarray(at) : EMPTY };
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * `1a;ext=1\r` → 26, read from the bytes (no string per chunk: this runs once per streamed token).
 * Hex digits, optional whitespace, then an extension or the line's end; anything else is refused.
 */
function parseChunkSize(bytes: Buffer, start: number, lineEnd: number): number | null {
  let size = 0;
  let digits = 0;
  let at = start;
  for (; at < lineEnd; at += 1) {
    const c = bytes[at] as number;
    const value = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (value === -1) break;
    size = size * 16 + value;
    digits += 1;
  }
  if (digits === 0 || digits > 12) return null;
  while (at < lineEnd && (bytes[at] === 32 || bytes[at] === 9)) at += 1;
  if (at === lineEnd || bytes[at] === 59 /* ; */ || (bytes[at] === 13 && at === lineEnd - 1)) return size;
  return null;
}
