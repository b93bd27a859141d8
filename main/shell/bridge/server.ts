import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { HTTP_STATUS_BY_CODE, errorEnvelope, type Envelope } from '../../../shared/contract/index.js';
import type { ErrorInfo } from '../../../shared/errors.js';
import { callContext } from '../../app/core.js';
import type { Dispatcher } from '../../platform/dispatcher.js';
import type { EventHub } from '../../platform/events.js';
import type { Logger } from '../../platform/log.js';
import { CONTENT_SECURITY_POLICY } from '../csp.js';
import { EVENTS_PROTOCOL, bearerToken, checkHost, checkOrigin, subprotocolToken, tokensMatch, unauthorized } from './guards.js';
import { serveStatic } from './static-files.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Event bytes a page may have unread in its socket before the hub holds the rest back. */
const SEND_BUFFER_MARK = 1024 * 1024;

/** `?after=<seq>`: the last event the page saw (it reconnects); none: its first connection, which gets the backlog. */
function resumeAfter(value: string | null): number {
  const seq = value === null ? 0 : Number(value);
  return Number.isSafeInteger(seq) && seq >= 0 ? seq : 0;
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
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log.error('bridge request failed', { error: String(error) });
      if (!res.headersSent) sendEnvelope(res, errorEnvelope({ code: 'INTERNAL', message: 'Outpost hit an internal error' }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = checkHost(req, port);
    if (refusal) return sendEnvelope(res, errorEnvelope(refusal));
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname.startsWith('/rpc/')) return handleCall(req, res, url.pathname.slice('/rpc/'.length));
    if (req.method === 'GET' || req.method === 'HEAD') return serveStatic(options.staticDir, url.pathname, res, SECURITY_HEADERS);
    sendEnvelope(res, errorEnvelope({ code: 'NOT_FOUND', message: `${req.method} ${url.pathname} is not a bridge route` }));
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') {
      return sendEnvelope(res, errorEnvelope({ code: 'INVALID_INPUT', message: `calls are POST requests (got ${req.method})` }));
    }
    const refusal = checkOrigin(req, port) ?? (tokensMatch(bearerToken(req), token) ? null : unauthorized);
    if (refusal) return sendEnvelope(res, errorEnvelope(refusal), true);
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendEnvelope(res, errorEnvelope({ code: 'INVALID_INPUT', message: 'the body must be JSON', hint: 'send Content-Type: application/json' }), true);
    }
    const body = await readBody(req);
    if ('error' in body) return sendEnvelope(res, errorEnvelope(body.error), true);
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    sendEnvelope(res, await options.dispatcher.invoke(decodeURIComponent(name), body.value, callContext('ui', aborted.signal)));
  }

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (protocols) => (protocols.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false),
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const path = url.pathname;
    const refusal = checkHost(req, port) ?? checkOrigin(req, port) ?? (path === '/events' ? null : { code: 'NOT_FOUND' as const, message: `no WebSocket at ${path}` }) ?? (tokensMatch(subprotocolToken(req), token) ? null : unauthorized);
    if (refusal) {
      const status = HTTP_STATUS_BY_CODE[refusal.code];
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify(errorEnvelope(refusal))}`);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
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
  });

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
  const complete = await new Promise<boolean>((resolve, reject) => {
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
    req.once('error', reject);
  });
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
