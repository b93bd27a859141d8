import { STATUS_CODES } from 'node:http';
import type net from 'node:net';
import type { RequestHead } from '../core/http1-request.js';

/** What a response needs of its connection. */
export interface ResponseConnection {
  readonly socket: net.Socket;
  /** The connection closes after this response (asked by the client, HTTP/1.0 without keep-alive, a body left unread). */
  closeAfterResponse: boolean;
  /** The response is written: the connection goes on to the next request, or closes. */
  responseEnded(): void;
}

const LAST_CHUNK = '0\r\n\r\n';
const CRLF = Buffer.from('\r\n');
/** The reason phrase (clients ignore it; it is there for people reading a capture). */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

type Framing = 'length' | 'chunked' | 'chunked-passthrough' | 'until-close';

/**
 * The answer to one request. A body is either of a known length, framed in chunks here, passed through
 * already chunk-framed (an endpoint's stream, byte for byte), or — for an HTTP/1.0 client — sent as it
 * is and ended by closing the connection.
 */
export class ClientResponse {
  headersSent = false;
  /** end() was called: what follows on this connection is the next request's. */
  finished = false;
  /** The client went away before the response was finished. */
  gone = false;
  private framing: Framing = 'length';
  private onGone: (() => void) | null = null;
  private readonly bodyless: boolean;

  constructor(
    private readonly connection: ResponseConnection,
    private readonly head: RequestHead,
  ) {
    this.bodyless = head.method === 'HEAD';
  }

  get socket(): net.Socket {
    return this.connection.socket;
  }

  /** Whether the client can take a body framed in chunks (HTTP/1.1). */
  get takesChunks(): boolean {
    return this.head.minorVersion === 1;
  }

  /** Called once if the client disconnects before end(). */
  whenGone(listener: (() => void) | null): void {
    this.onGone = listener;
  }

  /**
   * Starts the response. `length` sets Content-Length; without it the body is framed in chunks
   * (`chunked-passthrough`: the caller's bytes already are) or, for HTTP/1.0, delimited by closing.
   */
  writeHead(status: number, headers: Record<string, string>, body: { length: number } | 'chunked' | 'chunked-passthrough'): void {
    if (this.headersSent) throw new Error('the response head was already written');
    this.headersSent = true;
    let head = `HTTP/1.1 ${status} ${statusText(status)}\r\ndate: ${httpDate()}\r\n`;
    for (const name in headers) head += `${name}: ${checkedValue(headers[name] as string)}\r\n`;
    if (typeof body === 'object') {
      this.framing = 'length';
      head += `content-length: ${body.length}\r\n`;
    } else if (this.takesChunks) {
      this.framing = body;
      head += 'transfer-encoding: chunked\r\n';
    } else {
      this.framing = 'until-close';
      this.connection.closeAfterResponse = true;
    }
    head += this.connection.closeAfterResponse ? 'connection: close\r\n\r\n' : this.head.minorVersion === 0 ? 'connection: keep-alive\r\n\r\n' : '\r\n';
    this.socket.write(head, 'latin1');
  }

  /** Body bytes: as they are for a length, already-chunked or HTTP/1.0 body, else as one chunk. False: wait for drain. */
  write(bytes: Buffer): boolean {
    if (this.bodyless || bytes.length === 0) return true;
    return this.socket.write(this.framing === 'chunked' ? chunk(bytes) : bytes);
  }

  /** The router's own bytes in a body otherwise made of the endpoint's chunks passed through, ready for write(): framed as a chunk of their own. */
  own(bytes: Buffer): Buffer {
    return this.framing === 'chunked-passthrough' && bytes.length > 0 ? chunk(bytes) : bytes;
  }

  onDrain(listener: () => void): void {
    this.socket.once('drain', listener);
  }

  /** Ends the response; `own` is the router's own last bytes (framed here in a chunked body). */
  end(own?: string): void {
    if (this.finished || this.gone) return;
    this.finished = true;
    if (own !== undefined && !this.bodyless) {
      const bytes = Buffer.from(own);
      if (this.framing === 'chunked' || this.framing === 'chunked-passthrough') this.socket.write(`${bytes.length.toString(16)}\r\n${own}\r\n`);
      else this.socket.write(bytes);
    }
    if ((this.framing === 'chunked' || this.framing === 'chunked-passthrough') && !this.bodyless) this.socket.write(LAST_CHUNK, 'latin1');
    this.connection.responseEnded();
  }

  /** A whole answer with a known body. */
  send(status: number, headers: Record<string, string>, body: string): void {
    const bytes = Buffer.from(body);
    this.writeHead(status, headers, { length: bytes.length });
    this.write(bytes);
    this.end();
  }

  /** Cuts the connection: the client sees a broken response, never a clean end over a truncated one. */
  destroy(): void {
    this.socket.destroy();
  }

  clientGone(): void {
    if (this.finished || this.gone) return;
    this.gone = true;
    const listener = this.onGone;
    this.onGone = null;
    listener?.();
  }
}

function chunk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`, 'latin1'), bytes, CRLF]);
}

/** A header value of the router's own making; a line break in one would let it write a header of its choosing. */
function checkedValue(value: string): string {
  if (/[\r\n]/.test(value)) throw new Error('a response header value has a line break');
  return value;
}

let dateSecond = 0;
let dateText = '';

/** The Date header (RFC 9110 §6.6.1), made once a second. */
export function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
