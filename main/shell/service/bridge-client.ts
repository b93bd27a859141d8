import http from 'node:http';
import type { Envelope } from '../../../shared/contract/index.js';
import { ACTOR_HEADER, CALL_ID_HEADER } from '../bridge/guards.js';

/** Where a service's bridge listens and the token it asks for (from service.json). */
export interface BridgeDoor {
  port: number;
  token: string;
}

export interface BridgeRequest {
  /** The call's answer; a failure to reach the bridge is an UNAVAILABLE envelope, never a throw. */
  answer: Promise<Envelope>;
  /** Closes the request: the bridge aborts the call, and `answer` is a CANCELLED envelope. */
  destroy(): void;
}

const unreachable = (door: BridgeDoor, why: string): Envelope => ({
  ok: false,
  error: { code: 'UNAVAILABLE', message: `the site service does not answer on 127.0.0.1:${door.port} (${why})`, hint: 'is it still running? `outpost ui` starts it again' },
});

/**
 * One POST to a service's bridge, as a non-browser client: the bearer token and no Origin (the bridge refuses
 * only foreign origins). A connection per request (no keep-alive agent), so nothing holds a CLI process open.
 */
export function postToBridge(door: BridgeDoor, route: string, input: unknown, options: { actor?: 'cli' | 'ui' | 'electron'; callId?: string; timeoutMs?: number } = {}): BridgeRequest {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: `Bearer ${door.token}` };
  if (options.actor) headers[ACTOR_HEADER] = options.actor;
  if (options.callId) headers[CALL_ID_HEADER] = options.callId;
  let destroyed = false;
  let request: http.ClientRequest | undefined;
  const answer = new Promise<Envelope>((resolve) => {
    request = http.request({ host: '127.0.0.1', port: door.port, path: route, method: 'POST', headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', () => resolve(ended()));
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Envelope);
        } catch {
          resolve(unreachable(door, `HTTP ${response.statusCode ?? '?'} without an Outpost answer`));
        }
      });
    });
    const ended = (): Envelope => (destroyed ? { ok: false, error: { code: 'CANCELLED', message: `${route.slice(route.lastIndexOf('/') + 1)} was cancelled` } } : unreachable(door, 'the connection failed'));
    request.on('error', (error: NodeJS.ErrnoException) => resolve(destroyed ? ended() : unreachable(door, error.code ?? error.message)));
    if (options.timeoutMs !== undefined) request.setTimeout(options.timeoutMs, () => request?.destroy(Object.assign(new Error('no answer in time'), { code: 'timed out' })));
    request.end(JSON.stringify(input ?? {}));
  });
  return {
    answer,
    destroy: () => {
      destroyed = true;
      request?.destroy();
    },
  };
}

/** The route of a call: its name percent-encoded, as the renderer sends it. */
export const callRoute = (name: string): string => `/rpc/${encodeURIComponent(name)}`;
