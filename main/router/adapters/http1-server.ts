import net from 'node:net';
import { parseRequestHead, type HeadError, type RequestHead } from '../core/http1-request.js';
import { BodyFraming } from '../core/http1-response.js';
import { openAiErrorBody, type OpenAiError } from '../core/openai-errors.js';
import { ClientResponse, httpDate, statusText, type ResponseConnection } from './client-response.js';

/**
 * The router's front door: HTTP/1.1 on net.Server, without node:http, whose path from a request's bytes
 * to its handler (parser callbacks, IncomingMessage, ServerResponse, their events) was the largest part of
 * what the router added to time to first byte (figures in the README, "Front door"). Here a request is parsed from the socket's bytes in one step (core/http1-request.ts, strict) and
 * handed over with its body when the body came with it; a response is one head string and the body's
 * bytes, written to the socket as they come.
 */

export interface FrontDoorLimits {
  maxBodyBytes: number;
  /** A request's head and body must arrive within this (the slow-loris guard). */
  clientTimeoutMs: number;
}

export type RequestHandler = (request: ClientRequest, response: ClientResponse) => void;

const KEEP_ALIVE_IDLE_MS = 65_000;
const CHECK_INTERVAL_MS = 250;
const EMPTY = Buffer.alloc(0);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

export class FrontDoor {
  readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly checker: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly handler: RequestHandler,
    public limits: FrontDoorLimits,
  ) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.checker = setInterval(() => this.checkTimeouts(Date.now()), CHECK_INTERVAL_MS);
    this.checker.unref();
  }

  /** Stops accepting; idle keep-alive connections close now, busy ones after their response. */
  close(): Promise<void> {
    this.closing = true;
    clearInterval(this.checker);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) if (connection.idle()) connection.socket.destroy();
    return closed;
  }

  closeAllConnections(): void {
    for (const connection of this.connections) connection.socket.destroy();
  }

  get shuttingDown(): boolean {
    return this.closing;
  }

  handle(request: ClientRequest, response: ClientResponse): void {
    this.handler(request, response);
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const connection = new Connection(this, socket);
    this.connections.add(connection);
    socket.once('close', () => {
      this.connections.delete(connection);
      connection.closed();
    });
  }

  /** One timer for every connection instead of one per request: a request only notes when it began. */
  private checkTimeouts(now: number): void {
    for (const connection of this.connections) connection.checkTimeouts(now, this.limits.clientTimeoutMs);
  }
}

/** A request with its head parsed. Its body is waited for only when asked: a request refused first (no key, unknown path) is answered at once and the connection closed, the rest of its body dropped unread. */
export class ClientRequest {
  constructor(
    readonly head: RequestHead,
    private readonly connection: Connection,
  ) {}

  get method(): string {
    return this.head.method;
  }

  get path(): string {
    return this.head.path;
  }

  header(name: string): string | undefined {
    return this.head.headers.get(name);
  }

  /** The whole body, or the error to answer with (too large, too slow, none). */
  readBody(): Promise<Buffer | OpenAiError> {
    return this.connection.body();
  }
}

interface Exchange {
  head: RequestHead;
  response: ClientResponse;
  /** Body bytes so far; the body is whole when `complete`. */
  parts: Buffer[];
  size: number;
  remaining: number;
  chunked: BodyFraming | null;
  complete: boolean;
  failed: OpenAiError | null;
  waiter: ((body: Buffer | OpenAiError) => void) | null;
  continueSent: boolean;
}

class Connection implements ResponseConnection {
  current: Exchange | null = null;
  closeAfterResponse = false;
  private buffered: Buffer = EMPTY;
  /** When the request now arriving began (its head or body still incomplete); null when none is. */
  private receivingSince: number | null = null;
  private idleSince: number;
  private scheduled = false;
  /** Nothing more is read: the connection closes once what was written has gone out. */
  private refused = false;

  constructor(
    private readonly door: FrontDoor,
    readonly socket: net.Socket,
  ) {
    this.idleSince = Date.now();
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', () => socket.destroy());
  }

  idle(): boolean {
    return this.current === null && this.buffered.length === 0;
  }

  closed(): void {
    this.current?.response.clientGone();
    this.resolveBody(this.current, { status: 400, type: 'invalid_request_error', code: 'broken_body', message: 'the connection closed before the request body was complete' });
  }

  checkTimeouts(now: number, clientTimeoutMs: number): void {
    if (this.receivingSince !== null && now - this.receivingSince > clientTimeoutMs) {
      const error: OpenAiError = { status: 408, type: 'invalid_request_error', code: 'request_timeout', message: `the request did not arrive within ${clientTimeoutMs} ms` };
      this.receivingSince = null;
      if (this.current && !this.current.complete) this.failBody(this.current, error);
      else if (this.current === null) this.refuse(error);
    } else if (this.idle() && now - this.idleSince > KEEP_ALIVE_IDLE_MS) this.socket.destroy();
  }

  body(): Promise<Buffer | OpenAiError> {
    const exchange = this.current as Exchange;
    if (exchange.failed) return Promise.resolve(exchange.failed);
    if (exchange.complete) return Promise.resolve(joined(exchange));
    if (exchange.head.expectContinue && !exchange.continueSent && exchange.size === 0) {
      exchange.continueSent = true;
      this.socket.write(CONTINUE, 'latin1');
    }
    return new Promise((resolve) => (exchange.waiter = resolve));
  }

  responseEnded(): void {
    const exchange = this.current as Exchange;
    // A body the handler did not read, still arriving: its end is unknown, so nothing after it can be parsed.
    if (!exchange.complete || this.closeAfterResponse || this.door.shuttingDown) {
      this.lingeringClose();
      return;
    }
    this.current = null;
    this.idleSince = Date.now();
    this.receivingSince = null;
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buffered.length > 0) this.schedule();
  }

  private received(chunk: Buffer): void {
    if (this.refused) return;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.receivingSince ??= Date.now();
    this.advance();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(() => {
      this.scheduled = false;
      this.receivingSince ??= Date.now();
      this.advance();
    });
  }

  /** Takes what the buffered bytes hold: the body of the request in hand, else the next request's head. */
  private advance(): void {
    const exchange = this.current;
    if (exchange !== null) {
      if (!exchange.complete && exchange.failed === null) this.takeBody(exchange);
      // A pipelined request waits for this response; the socket pauses if it sends much more meanwhile.
      if (exchange.complete && this.buffered.length > MAX_PIPELINED_BYTES) this.socket.pause();
      return;
    }
    if (this.buffered.length === 0) {
      this.receivingSince = null;
      return;
    }
    const parsed = parseRequestHead(this.buffered);
    if (parsed.kind === 'incomplete') return;
    if (parsed.kind === 'invalid') return this.refuse(headError(parsed.error));
    this.buffered = this.buffered.subarray(parsed.consumed);
    const { head } = parsed;
    const response = new ClientResponse(this, head);
    const next: Exchange = {
      head,
      response,
      parts: [],
      size: 0,
      remaining: head.body.kind === 'length' ? head.body.length : 0,
      chunked: head.body.kind === 'chunked' ? new BodyFraming('chunked') : null,
      complete: head.body.kind === 'none',
      failed: null,
      waiter: null,
      continueSent: false,
    };
    this.current = next;
    this.closeAfterResponse = !head.keepAlive;
    if (head.body.kind === 'length' && head.body.length > this.door.limits.maxBodyBytes) this.failBody(next, tooLarge(this.door.limits.maxBodyBytes));
    else if (!next.complete) this.takeBody(next);
    if (next.complete) this.receivingSince = null;
    this.door.handle(new ClientRequest(head, this), response);
  }

  private takeBody(exchange: Exchange): void {
    if (this.buffered.length === 0) return;
    if (exchange.chunked) {
      const step = exchange.chunked.push(this.buffered, true);
      if ('error' in step) return this.failBody(exchange, { status: 400, type: 'invalid_request_error', code: 'broken_body', message: `the chunked request body is malformed: ${step.error}` });
      for (const part of step.payload ?? []) this.addPart(exchange, Buffer.from(part));
      this.buffered = step.rest;
      if (step.ended) this.bodyComplete(exchange);
    } else {
      const take = Math.min(exchange.remaining, this.buffered.length);
      this.addPart(exchange, this.buffered.subarray(0, take));
      exchange.remaining -= take;
      this.buffered = this.buffered.subarray(take);
      if (exchange.remaining === 0) this.bodyComplete(exchange);
    }
    if (exchange.size > this.door.limits.maxBodyBytes) this.failBody(exchange, tooLarge(this.door.limits.maxBodyBytes));
  }

  private addPart(exchange: Exchange, part: Buffer): void {
    exchange.parts.push(part);
    exchange.size += part.length;
  }

  private bodyComplete(exchange: Exchange): void {
    exchange.complete = true;
    this.receivingSince = null;
    this.resolveBody(exchange, joined(exchange));
  }

  /** A body that cannot be taken: the handler answers with the error, and the connection closes after it. */
  private failBody(exchange: Exchange, error: OpenAiError): void {
    exchange.failed = error;
    exchange.parts = [];
    this.buffered = EMPTY;
    this.closeAfterResponse = true;
    this.socket.pause();
    this.resolveBody(exchange, error);
  }

  private resolveBody(exchange: Exchange | null, result: Buffer | OpenAiError): void {
    const waiter = exchange?.waiter;
    if (!exchange || !waiter) return;
    exchange.waiter = null;
    waiter(result);
  }

  /** A request whose head cannot be parsed or did not arrive in time: answered, then the connection is closed. */
  private refuse(error: OpenAiError): void {
    this.receivingSince = null;
    const body = openAiErrorBody(error);
    this.socket.write(`HTTP/1.1 ${error.status} ${statusText(error.status)}\r\ndate: ${httpDate()}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    this.lingeringClose();
  }

  /**
   * Closes after the answer is out without losing it: closing a socket with unread bytes (a body the router
   * refused) makes the kernel send a reset, and a client can lose the answer to it. So the router ends its
   * side, reads and drops what still comes for a while, and closes when the client does (as nginx's
   * lingering close does).
   */
  private lingeringClose(): void {
    this.refused = true;
    this.buffered = EMPTY;
    this.socket.end();
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }
}

const LINGER_MS = 2_000;

/** What a client may send ahead while its previous request is answered (pipelining) before it is paused. */
const MAX_PIPELINED_BYTES = 64 * 1024;

function joined(exchange: Exchange): Buffer {
  return exchange.parts.length === 1 ? (exchange.parts[0] as Buffer) : Buffer.concat(exchange.parts, exchange.size);
}

function tooLarge(maxBytes: number): OpenAiError {
  return { status: 413, type: 'invalid_request_error', code: 'request_too_large', message: `the request body is over the router's limit of ${maxBytes} bytes; send a shorter prompt` };
}

function headError(error: HeadError): OpenAiError {
  return { status: error.status, type: 'invalid_request_error', code: error.code, message: error.message };
}
