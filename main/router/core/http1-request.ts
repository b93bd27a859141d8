/**
 * The router's HTTP/1.1 request head parser: strict where leniency lets two parsers disagree about where
 * a request ends (request smuggling), small where the hot path pays for generality. RFC 9112 rules it
 * enforces: one request line `METHOD SP target SP HTTP/1.x`, CRLF line ends only, no obsolete line
 * folding, field names that are tokens and values without control characters, Host on HTTP/1.1, and a
 * body framed by exactly one of Content-Length (digits, one value) or `Transfer-Encoding: chunked`.
 */

export type RequestBody = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

export interface RequestHead {
  method: string;
  /** The request-target as sent (origin form: path and query). */
  target: string;
  /** The target's path, without the query. */
  path: string;
  minorVersion: 0 | 1;
  /** Field values by lower-case name; a repeated field's values joined with ", " (RFC 9110 §5.3). */
  headers: Map<string, string>;
  body: RequestBody;
  /** Whether the client wants the connection kept after the response. */
  keepAlive: boolean;
  /** The client waits for `100 Continue` before it sends the body. */
  expectContinue: boolean;
}

/** A request the router answers with `status` and closes the connection after: its end cannot be known. */
export interface HeadError {
  status: 400 | 413 | 417 | 431 | 501 | 505;
  code: string;
  message: string;
}

export type RequestHeadParse = { kind: 'incomplete' } | { kind: 'invalid'; error: HeadError } | { kind: 'head'; head: RequestHead; consumed: number };

export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;
const MAX_HEADER_FIELDS = 100;
const HEAD_END = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) HTTP\/1\.([0-9])$/;
const METHOD_START = /^[!#$%&'*+.^_`|~0-9A-Za-z-]$/;
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Control characters other than HTAB, and DEL: never in a field value. */
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/; // eslint-disable-line no-control-regex -- finding them is the point
/** Fields that must appear once: two of them mean two parsers could pick different ones. */
const SINGLE_FIELDS = new Set(['content-length', 'host', 'authorization']);

const invalid = (status: HeadError['status'], code: string, message: string): RequestHeadParse => ({ kind: 'invalid', error: { status, code, message } });

/**
 * Parses the request head at the start of `buffer`. Empty lines before the request line are skipped
 * (RFC 9112 §2.2). `consumed` counts them and the head, up to the body.
 */
export function parseRequestHead(buffer: Buffer): RequestHeadParse {
  let start = 0;
  while (buffer[start] === 13 && buffer[start + 1] === 10) start += 2;
  const end = buffer.indexOf(HEAD_END, start);
  if (end === -1) {
    if (buffer.length - start > MAX_REQUEST_HEAD_BYTES) return invalid(431, 'headers_too_large', `the request line and headers are over ${MAX_REQUEST_HEAD_BYTES} bytes`);
    return notHttp(buffer, start) ? invalid(400, 'malformed_request_line', 'this is not an HTTP/1.x request (TLS to a plain-HTTP port?)') : { kind: 'incomplete' };
  }
  if (end - start > MAX_REQUEST_HEAD_BYTES) return invalid(431, 'headers_too_large', `the request line and headers are over ${MAX_REQUEST_HEAD_BYTES} bytes`);
  const text = buffer.toString('latin1', start, end);
  const lines = text.split('\r\n');
  const requestLine = REQUEST_LINE.exec(lines[0] as string);
  if (!requestLine) return invalid(400, 'malformed_request_line', `not an HTTP/1.x request line: ${JSON.stringify((lines[0] as string).slice(0, 80))}`);
  const [, method, target, minor] = requestLine as unknown as [string, string, string, string];
  if (minor !== '0' && minor !== '1') return invalid(505, 'http_version_not_supported', `HTTP/1.${minor} is not supported; send HTTP/1.1`);
  if (lines.length - 1 > MAX_HEADER_FIELDS) return invalid(431, 'too_many_headers', `the request has over ${MAX_HEADER_FIELDS} header fields`);

  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const first = line.charCodeAt(0);
    if (first === 32 || first === 9) return invalid(400, 'malformed_header', 'obsolete line folding (a header line starting with whitespace) is not accepted');
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!FIELD_NAME.test(name)) return invalid(400, 'malformed_header', `malformed header line ${JSON.stringify(line.slice(0, 60))}: a field name, a colon, then the value`);
    const value = line.slice(colon + 1).trim();
    if (BAD_VALUE_CHAR.test(value)) return invalid(400, 'malformed_header', `the ${name.slice(0, 40)} header has a control character in its value`);
    const key = name.toLowerCase();
    const seen = headers.get(key);
    if (seen !== undefined && SINGLE_FIELDS.has(key)) return invalid(400, 'duplicate_header', `the ${key} header appears more than once; send it once`);
    headers.set(key, seen === undefined ? value : `${seen}, ${value}`);
  }
  if (minor === '1' && !headers.has('host')) return invalid(400, 'missing_host', 'an HTTP/1.1 request needs a Host header');

  const body = bodyFraming(headers, minor === '1');
  if ('status' in body) return { kind: 'invalid', error: body };
  const connection = (headers.get('connection') ?? '').toLowerCase();
  const keepAlive = connection.includes('close') ? false : minor === '1' || connection.includes('keep-alive');
  const expect = headers.get('expect');
  if (expect !== undefined && expect.toLowerCase() !== '100-continue') return invalid(417, 'expectation_failed', `the router does not support "Expect: ${expect.slice(0, 40)}"; only 100-continue`);
  const query = target.indexOf('?');
  return {
    kind: 'head',
    head: { method, target, path: query === -1 ? target : target.slice(0, query), minorVersion: minor === '1' ? 1 : 0, headers, body, keepAlive, expectContinue: expect !== undefined && body.kind !== 'none' },
    consumed: end + HEAD_END.length,
  };
}

/**
 * Whether the bytes of a head still arriving already cannot be an HTTP/1.x request: a request line that is
 * whole and wrong, or a first byte no method starts with. Refused at once instead of at the client timeout.
 */
function notHttp(buffer: Buffer, start: number): boolean {
  if (buffer.length === start) return false;
  const lineEnd = buffer.indexOf('\r\n', start, 'latin1');
  if (lineEnd !== -1) return !REQUEST_LINE.test(buffer.toString('latin1', start, lineEnd));
  return !METHOD_START.test(String.fromCharCode(buffer[start] as number));
}

function bodyFraming(headers: Map<string, string>, http11: boolean): RequestBody | HeadError {
  const transferEncoding = headers.get('transfer-encoding');
  const contentLength = headers.get('content-length');
  if (transferEncoding !== undefined) {
    // Both, or a coding in HTTP/1.0: the classic smuggling shapes. Refused, never guessed (RFC 9112 §6.1, §6.3).
    if (contentLength !== undefined) return { status: 400, code: 'ambiguous_length', message: 'the request has both Transfer-Encoding and Content-Length; send one' };
    if (!http11) return { status: 400, code: 'invalid_transfer_encoding', message: 'Transfer-Encoding is not allowed in an HTTP/1.0 request' };
    if (transferEncoding.toLowerCase() !== 'chunked') return { status: 501, code: 'unsupported_transfer_encoding', message: `the router takes request bodies as they are or chunked, not ${JSON.stringify(transferEncoding.slice(0, 40))}` };
    return { kind: 'chunked' };
  }
  if (contentLength === undefined) return { kind: 'none' };
  if (!/^\d{1,15}$/.test(contentLength)) return { status: 400, code: 'invalid_content_length', message: `Content-Length must be a number of bytes, not ${JSON.stringify(contentLength.slice(0, 30))}` };
  const length = Number(contentLength);
  return length === 0 ? { kind: 'none' } : { kind: 'length', length };
}
