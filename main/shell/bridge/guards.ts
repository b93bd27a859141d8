import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ErrorInfo } from '../../../shared/errors.js';

/** The origins the bridge's own page is served from; anything else is another site. */
export function ownOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
}

/** Host must be ours too: a DNS-rebinding page reaches 127.0.0.1 under a foreign host name. */
export function checkHost(req: IncomingMessage, port: number): ErrorInfo | null {
  const host = req.headers.host ?? '';
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` ? null : { code: 'FORBIDDEN', message: `requests must address 127.0.0.1:${port} (got Host "${host.slice(0, 100)}")` };
}

/**
 * Browsers always send Origin on POST and WebSocket requests, so a foreign
 * Origin is a page of another site trying to drive the core. A missing Origin
 * is a non-browser client, which still needs the token.
 */
export function checkOrigin(req: IncomingMessage, port: number): ErrorInfo | null {
  const origin = req.headers.origin;
  if (origin === undefined || ownOrigins(port).has(origin)) return null;
  return { code: 'FORBIDDEN', message: `requests from the origin "${origin.slice(0, 100)}" are refused`, hint: 'only the Outpost page served by this bridge may call it' };
}

export function tokensMatch(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  // Hash first so the comparison is constant-time whatever the presented length.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

/** Who is calling, for the journal: a CLI command that reaches the core through the service says `cli`. */
export const ACTOR_HEADER = 'x-outpost-actor';
/** A name the client gives its call, so `POST /cancel/<id>` can stop it while the request waits for the answer. */
export const CALL_ID_HEADER = 'x-outpost-call-id';

/** WebSocket clients cannot set headers, so the token rides as a subprotocol: `outpost.token.<token>`. */
export const EVENTS_PROTOCOL = 'outpost.events.v1';
export const TOKEN_PROTOCOL_PREFIX = 'outpost.token.';

export function subprotocolToken(req: IncomingMessage): string | undefined {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
}

export const unauthorized: ErrorInfo = {
  code: 'UNAUTHORIZED',
  message: 'the bridge token is missing or wrong',
  hint: 'open the exact URL that `outpost ui` printed (it carries the token)',
};
