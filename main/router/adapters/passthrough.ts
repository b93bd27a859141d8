import net from 'node:net';
import tls from 'node:tls';
import { BodyFraming, parseResponseHead, type ResponseHead } from '../core/http1-response.js';
import { STALE_CONNECTION_CODE } from '../core/retry.js';

/** What one completion exchange tells the proxy, in order: a head, body bytes, then an end or an error (never both). */
export interface ExchangeHandler {
  onHead(head: ResponseHead): void;
  /**
   * Body bytes: still chunk-framed when the head says chunked, unless the exchange was asked for payload.
   * `payload`: the same bytes without the framing, when the exchange was asked to watch it.
   */
  onBody(bytes: Buffer, framing: BodyFraming, payload: readonly Buffer[] | null): void;
  onEnd(): void;
  onError(error: UpstreamError): void;
}

export interface ExchangeControl {
  /** Ends the exchange now: the connection is closed (which is what cancels the endpoint's work) and onError gets `reason`. */
  abort(reason: Error): void;
  pause(): void;
  resume(): void;
  /** From now on onBody gets payload without chunk framing (a client that cannot take the raw framing). */
  wantPayload(): void;
  /** From now on onBody gets the framed bytes and, beside them, their payload (a stream the router may have to continue elsewhere). */
  watchPayload(): void;
}

export interface ExchangeOptions {
  path: string;
  body: Buffer;
  accept: string | undefined;
  idleTimeoutMs: number;
  fresh: boolean;
}

/** A failure with a code the retry rules read: node's socket codes, or one of ours below. */
export class UpstreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const CONNECT_TIMEOUT_MS = 5_000;
const IDLE_KEEPALIVE_MS = 30_000;
const MAX_IDLE_CONNECTIONS = 1_024;
/** A connection the endpoint closes this soon after its response was not meant to be kept. */
const CLOSED_AFTER_RESPONSE_MS = 1_000;
const RELEARN_REUSE_MS = 5 * 60_000;
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

interface Connection {
  socket: net.Socket;
  /** Completed exchanges on this connection: a failure before any answer on a reused one is a stale connection. */
  uses: number;
  exchange: Exchange | null;
  /** When it last went idle (performance.now()). */
  idleSince: number;
}

/**
 * Keep-alive HTTP/1.1 connections to one endpoint, for completion requests
 * only (probes and model lists go through undici). Kept to the bytes: the
 * request is one write, the response head is parsed, and the body is passed
 * on as it came, so a streamed token costs one read here and one write to the
 * client instead of a decode, a re-encode and two stream layers.
 */
export class PassthroughPool {
  private readonly idle: Connection[] = [];
  private readonly busy = new Set<Connection>();
  private closing = false;
  private readonly hostHeader: string;
  /**
   * Until when connections are not kept after a response: some servers close every connection after a
   * response while announcing keep-alive (llama-server does, after a stream), and reusing one of those
   * costs a failed attempt. Learned from connections closed right after going idle; forgotten after a
   * while in case the endpoint changed.
   */
  private noReuseUntil = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly basePath: string,
    private readonly secure: boolean,
  ) {
    this.hostHeader = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  static forUrl(url: string): PassthroughPool {
    const parsed = new URL(url);
    const secure = parsed.protocol === 'https:';
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    return new PassthroughPool(host, Number(parsed.port || (secure ? 443 : 80)), parsed.pathname.replace(/\/+$/, ''), secure);
  }

  /** `fresh`: a new connection even when an idle one is at hand (the redo after a stale one). */
  exchange(options: ExchangeOptions, handler: ExchangeHandler): ExchangeControl {
    if (this.closing) throw new UpstreamError('UPSTREAM_REMOVED', 'the endpoint was removed from the configuration');
    const connection = (options.fresh ? undefined : this.takeIdle()) ?? this.connect();
    const exchange = new Exchange(this, connection, handler, options.idleTimeoutMs);
    connection.exchange = exchange;
    this.busy.add(connection);
    const head =
      `POST ${this.basePath}${options.path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\naccept: ${sanitizeHeader(options.accept ?? '*/*')}\r\n` + `content-type: application/json\r\ncontent-length: ${options.body.length}\r\nconnection: keep-alive\r\n\r\n`;
    connection.socket.cork();
    connection.socket.write(head, 'latin1');
    connection.socket.write(options.body);
    connection.socket.uncork();
    return exchange;
  }

  /**
   * Called by an exchange that is over: a clean keep-alive connection goes back to the idle list, and is
   * closed by us a little before the endpoint's announced idle timeout, so that we do not reuse one the
   * endpoint is closing at that moment.
   */
  release(connection: Connection, reusable: boolean, endpointIdleMs: number | null): void {
    connection.exchange = null;
    this.busy.delete(connection);
    if (!reusable || this.closing || this.idle.length >= MAX_IDLE_CONNECTIONS || connection.socket.destroyed || performance.now() < this.noReuseUntil) {
      connection.socket.destroy();
      return;
    }
    connection.uses += 1;
    connection.idleSince = performance.now();
    connection.socket.setTimeout(endpointIdleMs === null ? IDLE_KEEPALIVE_MS : Math.max(100, Math.min(IDLE_KEEPALIVE_MS, endpointIdleMs - 1_000)));
    connection.socket.resume();
    this.idle.push(connection);
  }

  /** New requests are refused; running exchanges finish, then their connections close. */
  closeGracefully(): void {
    this.closing = true;
    for (const connection of this.idle.splice(0)) connection.socket.destroy();
  }

  destroy(): void {
    this.closeGracefully();
    for (const connection of this.busy) connection.exchange?.abort(new UpstreamError('UPSTREAM_CLOSED', 'the router is stopping'));
  }

  /** Reported by an exchange whose reused connection turned out closed, and by the close of a connection just gone idle. */
  endpointClosesConnections(): void {
    this.noReuseUntil = performance.now() + RELEARN_REUSE_MS;
  }

  private takeIdle(): Connection | undefined {
    // Most recently used first: a few warm connections stay busy, the rest time out.
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      if (!connection.socket.destroyed && connection.socket.readyState === 'open') {
        connection.socket.setTimeout(0);
        return connection;
      }
    }
    return undefined;
  }

  private connect(): Connection {
    // Called only once the socket exists, after `connection` below is set.
    const received = (bytes: Buffer) => {
      if (connection.exchange) connection.exchange.onData(bytes);
      else connection.socket.destroy(); // bytes nobody asked for: the connection's framing cannot be trusted
    };
    // https endpoints (an upstream router) are verified against the system's CAs plus NODE_EXTRA_CA_CERTS.
    const socket = this.secure
      ? tls
          .connect({ host: this.host, port: this.port, ...(net.isIP(this.host) ? {} : { servername: this.host }) })
          .setNoDelay(true)
          .on('data', received)
      : net.connect({
          host: this.host,
          port: this.port,
          noDelay: true,
          // Reads land in one shared buffer and come straight here, past the stream machinery (a token is one read);
          // what is kept is copied first, because the next read on any connection reuses the buffer.
          onread: {
            buffer: SHARED_READ_BUFFER,
            callback: (length: number, buffer: Uint8Array) => {
              received(Buffer.from(buffer.subarray(0, length)));
              return true;
            },
          },
        });
    const connection: Connection = { socket, uses: 0, exchange: null, idleSince: 0 };
    socket.setTimeout(CONNECT_TIMEOUT_MS);
    socket.once(this.secure ? 'secureConnect' : 'connect', () => socket.setTimeout(0));
    let expired = false;
    socket.on('timeout', () => {
      if (connection.exchange) return connection.exchange.onSocketTimeout(socket.connecting);
      expired = true;
      socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => connection.exchange?.onSocketError(error));
    socket.on('close', () => {
      const index = this.idle.indexOf(connection);
      if (index !== -1) {
        this.idle.splice(index, 1);
        if (!expired && !this.closing && performance.now() - connection.idleSince < CLOSED_AFTER_RESPONSE_MS) this.endpointClosesConnections();
      }
      connection.exchange?.onSocketClose();
    });
    return connection;
  }
}

/** One request and its response on one connection. */
class Exchange implements ExchangeControl {
  private head: ResponseHead | null = null;
  private headBytes: Buffer | null = null;
  private framing: BodyFraming | null = null;
  private payload = false;
  private watching = false;
  private over = false;
  private socketError: NodeJS.ErrnoException | null = null;

  constructor(
    private readonly pool: PassthroughPool,
    private readonly connection: Connection,
    private readonly handler: ExchangeHandler,
    private readonly idleTimeoutMs: number,
  ) {}

  abort(reason: Error): void {
    if (this.over) return;
    this.finish(false);
    this.handler.onError(reason instanceof UpstreamError ? reason : new UpstreamError('UPSTREAM_ABORTED', reason.message));
  }

  pause(): void {
    if (!this.over) this.connection.socket.pause();
  }

  resume(): void {
    if (!this.over) this.connection.socket.resume();
  }

  wantPayload(): void {
    this.payload = true;
  }

  watchPayload(): void {
    this.watching = true;
  }

  onData(bytes: Buffer): void {
    if (this.over) return;
    if (this.framing) return this.body(bytes);
    let pending = this.headBytes ? Buffer.concat([this.headBytes, bytes]) : bytes;
    for (;;) {
      const parsed = parseResponseHead(pending);
      if (parsed.kind === 'incomplete') {
        this.headBytes = pending;
        return;
      }
      if (parsed.kind === 'invalid') return this.fail(new UpstreamError('UPSTREAM_PROTOCOL', `the endpoint's response is not valid HTTP/1.1 (${parsed.reason})`));
      pending = pending.subarray(parsed.consumed);
      if (parsed.informational) continue;
      this.headBytes = null;
      this.head = parsed.head;
      this.framing = new BodyFraming(parsed.head.body, parsed.head.length);
      // Between body bytes the policy's idle timeout applies (a dribbling or stalled endpoint is cut).
      this.connection.socket.setTimeout(this.idleTimeoutMs);
      this.handler.onHead(parsed.head);
      if (this.over) return;
      if (this.framing.ended || pending.length > 0) this.body(pending);
      return;
    }
  }

  onSocketTimeout(connecting: boolean): void {
    this.fail(connecting ? new UpstreamError('ETIMEDOUT', `could not connect within ${CONNECT_TIMEOUT_MS} ms`) : new UpstreamError('UPSTREAM_IDLE', `no bytes from the endpoint for ${this.idleTimeoutMs} ms`));
  }

  onSocketError(error: NodeJS.ErrnoException): void {
    this.socketError ??= error;
  }

  onSocketClose(): void {
    if (this.over) return;
    if (this.framing?.kind === 'until-close') {
      this.finish(false);
      this.handler.onEnd();
      return;
    }
    const cause = this.socketError;
    if (!this.head && this.headBytes === null && this.connection.uses > 0) {
      this.pool.endpointClosesConnections();
      this.fail(new UpstreamError(STALE_CONNECTION_CODE, `a reused keep-alive connection was closed before an answer${cause ? ` (${cause.code ?? cause.message})` : ''}`));
    } else if (cause) {
      this.fail(new UpstreamError(cause.code ?? 'UPSTREAM_SOCKET', cause.message));
    } else {
      this.fail(new UpstreamError('UPSTREAM_CLOSED', this.head ? 'the endpoint closed the connection mid-response' : 'the endpoint closed the connection before answering'));
    }
  }

  private body(bytes: Buffer): void {
    const framing = this.framing as BodyFraming;
    const step = framing.push(bytes, this.payload || this.watching);
    if ('error' in step) return this.fail(new UpstreamError('UPSTREAM_PROTOCOL', `the endpoint's response body is malformed (${step.error})`));
    if (this.payload) for (const part of step.payload ?? []) this.handler.onBody(part, framing, null);
    else if (step.forward.length > 0) this.handler.onBody(step.forward, framing, this.watching ? step.payload : null);
    if (this.over || !step.ended) return;
    const head = this.head as ResponseHead;
    this.finish(step.rest.length === 0 && head.keepAlive, head.keepAliveTimeoutMs);
    this.handler.onEnd();
  }

  private fail(error: UpstreamError): void {
    if (this.over) return;
    this.finish(false);
    this.handler.onError(error);
  }

  private finish(reusable: boolean, endpointIdleMs: number | null = null): void {
    this.over = true;
    this.connection.socket.setTimeout(0);
    this.pool.release(this.connection, reusable, endpointIdleMs);
  }
}

/** The client's Accept goes upstream; anything that could split a header line is dropped. */
function sanitizeHeader(value: string): string {
  return /^[\x20-\x7e\t]{1,200}$/.test(value) ? value : '*/*';
}
