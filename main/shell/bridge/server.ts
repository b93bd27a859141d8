import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { HTTP_STATUS_BY_CODE, errorEnvelope, okEnvelope, type Envelope } from '../../../shared/contract/index.js';
import type { ErrorInfo } from '../../../shared/errors.js';
import { callContext } from '../../app/core.js';
import type { Dispatcher } from '../../platform/dispatcher.js';
import type { EventHub } from '../../platform/events.js';
import type { Logger } from '../../platform/log.js';
import { CONTENT_SECURITY_POLICY } from '../csp.js';
import { ACTOR_HEADER, CALL_ID_HEADER, EVENTS_PROTOCOL, bearerToken, checkHost, checkOrigin, subprotocolToken, tokensMatch, unauthorized } from './guards.js';
import { serveStatic } from './static-files.js';

export const MAX_BODY_BYTES = 1024 * 1024;
const CALL_ID = /^[A-Za-z0-9_-]{16,64}$/;
/** Event bytes a page may have unread in its socket before the hub holds the rest back. */
const SEND_BUFFER_MARK = 1024 * 1024;

/**
 * `?after=<seq>`: the last event the page saw (it reconnects); none: its first connection, which gets the backlog;
 * `live`: only what is emitted from now on (a CLI job follows its own progress, not the service's past).
 */
function resumeAfter(value: string | null): number | undefined {
  if (value === 'live') return undefined;
  const seq = value === null ? 0 : Number(value);
  return Number.isSafeInteger(seq) && seq >= 0 ? seq : 0;
}

/** The journal's actor of a call: what the client says it is (`X-Outpost-Actor`), a page of the bridge by default. */
function callActor(req: IncomingMessage): { actor: 'cli' | 'ui' | 'electron' } | { error: ErrorInfo } {
  const said = req.headers[ACTOR_HEADER] ?? 'ui';
  if (said === 'cli' || said === 'ui' || said === 'electron') return { actor: said };
  return { error: { code: 'INVALID_INPUT', message: `${ACTOR_HEADER} must be cli, ui or electron (got "${printable(String(said))}")` } };
}

export interface BridgeOptions {
  dispatcher: Dispatcher;
  events: EventHub;
  log: Logger;
  staticDir: string;
  port?: number;
  /** Fixed for tests; a fresh random token per start otherwise. */
  token?: string;
}

export interface Bridge {
  port: number;
  token: string;
  /** The URL to open: the token travels in the fragment, which browsers never send to a server. */
  url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The browser-mode transport: POST /rpc/<call> and one WebSocket at /events,
 * on loopback only. It holds no logic of its own beyond guarding the door:
 * every call goes to the same dispatcher as Electron IPC and the CLI.
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  let port = 0;
  /** Calls in flight that a client named (`X-Outpost-Call-Id`), so it can cancel one without closing its request. */
  const cancellable = new Map<string, AbortController>();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log.error('bridge request failed', { error: String(error) });
      if (!res.headersSent) sendEnvelope(res, errorEnvelope({ code: 'INTERNAL', message: 'Outpost hit an internal error' }), true);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req, port);
    if (!url) return sendEnvelope(res, errorEnvelope(badTarget(req)), true);
    const refusal = checkHost(req, port);
    if (refusal) return sendEnvelope(res, errorEnvelope(refusal));
    if (url.pathname.startsWith('/rpc/')) return handleCall(req, res, url.pathname.slice('/rpc/'.length));
    if (url.pathname.startsWith('/cancel/')) return handleCancel(req, res, url.pathname.slice('/cancel/'.length));
    if (req.method === 'GET' || req.method === 'HEAD') return serveStatic(options.staticDir, url.pathname, res, SECURITY_HEADERS);
    sendEnvelope(res, errorEnvelope({ code: 'NOT_FOUND', message: `${req.method} ${url.pathname} is not a bridge route` }));
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') {
      return sendEnvelope(res, errorEnvelope({ code: 'INVALID_INPUT', message: `calls are POST requests (got ${req.method})` }));
    }
    const refusal = checkOrigin(req, port) ?? (tokensMatch(bearerToken(req), token) ? null : unauthorized);
    if (refusal) return sendEnvelope(res, errorEnvelope(refusal), true);
    const actor = callActor(req);
    if ('error' in actor) return sendEnvelope(res, errorEnvelope(actor.error), true);
    const call = decodedName(name);
    if (call === null) return sendEnvelope(res, errorEnvelope({ code: 'NOT_FOUND', message: 'the call name is not valid percent-encoding' }), true);
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendEnvelope(res, errorEnvelope({ code: 'INVALID_INPUT', message: 'the body must be JSON', hint: 'send Content-Type: application/json' }), true);
    }
    const callId = req.headers[CALL_ID_HEADER];
    if (callId !== undefined && (typeof callId !== 'string' || !CALL_ID.test(callId) || cancellable.has(callId))) {
      return sendEnvelope(res, errorEnvelope({ code: 'INVALID_INPUT', message: `${CALL_ID_HEADER} must be 16–64 of A–Z, a–z, 0–9, "_", "-" and not in use` }), true);
    }
    const aborted = new AbortController();
    // Registered before the body is read, so a cancel sent right after the request finds it.
    if (callId !== undefined) cancellable.set(callId, aborted);
    try {
      const body = await readBody(req);
      if ('error' in body) return sendEnvelope(res, errorEnvelope(body.error), true);
      res.on('close', () => {
        if (!res.writableFinished) aborted.abort();
      });
      sendEnvelope(res, await options.dispatcher.invoke(call, body.value, callContext(actor.actor, aborted.signal)));
    } finally {
      if (callId !== undefined) cancellable.delete(callId);
    }
  }

  /**
   * POST /cancel/<call id>: stops a call as the closing of its request would, but the request stays open and
   * gets the call's own answer (a cancelled scan answers with the hosts it finished), as in-process.
   */
  function handleCancel(req: IncomingMessage, res: ServerResponse, callId: string): void {
    const refusal = req.method !== 'POST' ? { code: 'INVALID_INPUT' as const, message: `a cancel is a POST request (got ${req.method})` } : (checkOrigin(req, port) ?? (tokensMatch(bearerToken(req), token) ? null : unauthorized));
    if (refusal) return sendEnvelope(res, errorEnvelope(refusal), true);
    const call = cancellable.get(callId);
    call?.abort();
    sendEnvelope(res, okEnvelope({ cancelled: call !== undefined }), true);
  }

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (protocols) => (protocols.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false),
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its own listener off an upgraded socket: without this one, a client's reset is an uncaught exception.
    socket.on('error', (error) => {
      options.log.info('bridge socket error', { error: String(error) });
      socket.destroy();
    });
    try {
      upgrade(req, socket, head);
    } catch (error) {
      options.log.error('bridge upgrade failed', { error: String(error) });
      refuseUpgrade(socket, { code: 'INTERNAL', message: 'Outpost hit an internal error' });
    }
  });

  // Without a listener Node drops a CONNECT without a word; the bridge is no proxy, and says so.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    refuseUpgrade(socket, { code: 'INVALID_INPUT', message: 'the bridge is not a proxy (CONNECT is refused)' });
  });

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = requestUrl(req, port);
    if (!url) return refuseUpgrade(socket, badTarget(req));
    const refusal = checkHost(req, port) ?? checkOrigin(req, port) ?? (url.pathname === '/events' ? null : { code: 'NOT_FOUND' as const, message: `no WebSocket at ${url.pathname}` }) ?? (tokensMatch(subprotocolToken(req), token) ? null : unauthorized);
    if (refusal) return refuseUpgrade(socket, refusal);
    sockets.handleUpgrade(req, socket, head, (ws) => {
      // ws closes with 1007 (invalid UTF-8) or 1009 (over maxPayload) and then emits the error; unheard, it would end the process.
      ws.on('error', (error) => options.log.info('bridge WebSocket closed on a bad frame', { error: String(error) }));
      // While the socket's send buffer is over the mark, the hub queues for this page (bounded) instead.
      const stream = options.events.open(
        (message) => {
          ws.send(JSON.stringify(message), () => {
            if (ws.bufferedAmount < SEND_BUFFER_MARK) stream.resume();
          });
          if (ws.bufferedAmount >= SEND_BUFFER_MARK) stream.pause();
        },
        { after: resumeAfter(url.searchParams.get('after')) },
      );
      ws.on('close', () => stream.close());
      // The stream is one-way; anything the page sends is ignored rather than interpreted.
      ws.on('message', () => undefined);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<{ value: unknown } | { error: ErrorInfo }> {
  const tooLarge: ErrorInfo = {
    code: 'PAYLOAD_TOO_LARGE',
    message: `the request body is larger than ${MAX_BODY_BYTES} bytes`,
    hint: 'calls take small JSON inputs; large files go through their own commands',
  };
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return { error: tooLarge };
  // Plain events rather than `for await`: leaving an async iterator early destroys
  // the socket, and the client would get a reset instead of the 413.
  const chunks: Buffer[] = [];
  const complete = await new Promise<boolean | 'cut'>((resolve) => {
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve(false);
    };
    req.on('data', onData);
    req.once('end', () => resolve(true));
    // A client that goes away mid-body is not Outpost's failure: its call is refused, never an INTERNAL.
    req.once('error', () => resolve('cut'));
    req.once('aborted', () => resolve('cut'));
  });
  if (complete === 'cut') return { error: { code: 'INVALID_INPUT', message: 'the request body was cut short', hint: 'send the whole JSON body' } };
  if (!complete) return { error: tooLarge };
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { value: {} };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { error: { code: 'INVALID_INPUT', message: 'the body is not valid JSON' } };
  }
}

/** `closeAfter` drops the connection once answered, so a refused client cannot keep streaming a body at us. */
function sendEnvelope(res: ServerResponse, envelope: Envelope, closeAfter = false): void {
  const status = envelope.ok ? 200 : HTTP_STATUS_BY_CODE[envelope.error.code];
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };
  if (closeAfter) headers.Connection = 'close';
  const socket = res.socket;
  res.writeHead(status, headers);
  res.end(JSON.stringify(envelope));
  if (closeAfter) res.on('finish', () => socket?.destroy());
}

/**
 * The request target read as a path on this server, or null when it is not one (`//[`, `*`, an absolute URL):
 * the path is appended to our own origin so that `//host/...` can never be read as another host.
 */
function requestUrl(req: IncomingMessage, port: number): URL | null {
  const target = req.url ?? '';
  if (!target.startsWith('/')) return null;
  try {
    return new URL(`http://127.0.0.1:${port}${target}`);
  } catch {
    return null;
  }
}

function badTarget(req: IncomingMessage): ErrorInfo {
  return { code: 'INVALID_INPUT', message: `the request target "${printable(req.url ?? '')}" is not a path on this server` };
}

function decodedName(name: string): string | null {
  try {
    return decodeURIComponent(name);
  } catch {
    return null;
  }
}

/** What a client sent, shortened and with control characters escaped, for a message that quotes it. */
function printable(text: string): string {
  return JSON.stringify(text.slice(0, 100)).slice(1, -1);
}

/** A refused upgrade gets a plain HTTP answer on the raw socket, then the socket is closed. */
function refuseUpgrade(socket: Duplex, refusal: ErrorInfo): void {
  const status = HTTP_STATUS_BY_CODE[refusal.code];
  const body = JSON.stringify(errorEnvelope(refusal));
  // Closed once written, not just ended: a client that never closes its side would otherwise hold the socket (and the bridge's close) open.
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy());
}
