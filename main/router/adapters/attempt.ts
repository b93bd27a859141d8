import { performance } from 'node:perf_hooks';
import type { ResponseHead } from '../core/http1-response.js';
import { ContinuationFramer } from '../core/migration.js';
import type { ApiPath, ParsedRequest } from '../core/openai-request.js';
import { countsAgainstBreaker, isRetryableStatus, isStaleConnection, type EarlyFailure } from '../core/retry.js';
import type { EndpointState } from '../core/routing-table.js';
import { StreamTranscript, type CompletionKind } from '../core/stream-transcript.js';
import type { ClientResponse } from './client-response.js';
import type { ExchangeControl, ExchangeHandler } from './passthrough.js';
import type { ProxyDeps } from './proxy.js';
import { endLater, tokenWritesWaiting, writeLater, type LaterWrites } from './write-schedule.js';

export type AttemptResult =
  | { kind: 'answered' }
  | { kind: 'client-gone' }
  | { kind: 'early-failure'; failure: EarlyFailure }
  /**
   * The endpoint failed after the client got bytes; the client's response is still open. `canAppend`: what
   * the client got ends between chunks of an event stream, so the router may add an event of its own;
   * `transcript`: what the stream said so far, when it may be continued elsewhere.
   */
  | { kind: 'broken'; reason: string; canAppend: boolean; transcript: StreamTranscript | null; ttftMs: number };

/** The client's side of one request: whether it left, and what to stop when it does (cheaper than an AbortController per request). */
export interface ClientLink {
  gone: boolean;
  onGone: ((reason: Error) => void) | null;
}

/** A stream the client is reading that an earlier endpoint broke, continued by this attempt with `body`. */
export interface Continuation {
  kind: CompletionKind;
  transcript: StreamTranscript;
  body: Buffer;
  /** The client's time to first byte, from the first endpoint. */
  ttftMs: number;
}

export interface AttemptContext {
  path: ApiPath;
  request: ParsedRequest;
  requestId: string;
  accept: string | undefined;
  arrived: number;
  client: ClientLink;
  attempt: number;
  freshConnection: boolean;
}

class FirstByteTimeout extends Error {}
class BrokenMidStream extends Error {}

const DATA_PREFIX = Buffer.from('data: ');
const DONE_EVENT = Buffer.from('data: [DONE]');

/**
 * One attempt on one endpoint over a passthrough connection: the endpoint's
 * bytes go to the client socket as they came (a chunked stream keeps its own
 * framing, the router writes only the final chunk), and the endpoint is
 * paused while the client cannot keep up. With migration on, a stream's text is
 * noted as it passes (StreamTranscript) and an error event the endpoint sends
 * mid-stream is held back; a continuation's events are re-framed instead.
 */
export function attemptOnce(deps: ProxyDeps, state: EndpointState, res: ClientResponse, context: AttemptContext, continuation: Continuation | null): Promise<AttemptResult> {
  const { policy } = deps.table;
  const { name, tier } = state.spec;
  const { request, client } = context;
  state.inFlight += 1;
  state.requests += 1;
  const started = performance.now();
  return new Promise<AttemptResult>((resolve) => {
    let control: ExchangeControl | null = null;
    let abortReason: Error | null = null;
    let settled = false;
    let firstByteAt: number | null = null;
    let tokens = 0;
    let head: ResponseHead | null = null;
    let isStream = false;
    /** An answer that is not passed on: an error status, or a continuation that did not answer with a stream. */
    let refused = false;
    /** Whether the endpoint's body bytes go to the client as they are (a length, or chunks to an HTTP/1.1 client); else its payload is framed anew. */
    let passthrough = false;
    /** Whether what the client got so far ends between chunks, so the router may append an event of its own. */
    let framingAtBoundary = true;
    let transcript: StreamTranscript | null = null;
    const framer = continuation ? new ContinuationFramer(continuation.kind, continuation.transcript) : null;

    const abort = (reason: Error) => {
      if (settled) return;
      abortReason ??= reason;
      control?.abort(reason);
    };
    client.onGone = abort;
    const firstByteTimer = setTimeout(() => abort(new FirstByteTimeout(`no first byte within ${policy.firstByteTimeoutMs} ms`)), policy.firstByteTimeoutMs);

    const finish = (result: AttemptResult, outcome: { label: string; ok: boolean }) => {
      if (settled) return;
      settled = true;
      clearTimeout(firstByteTimer);
      client.onGone = null;
      state.inFlight -= 1;
      const now = performance.now();
      deps.metrics.request({ model: request.model, endpoint: name, tier, status: outcome.label });
      if (firstByteAt !== null) {
        const ttftMs = continuation ? continuation.ttftMs : firstByteAt - context.arrived;
        const rate = tokens > 1 && now > firstByteAt ? (tokens - 1) / ((now - firstByteAt) / 1000) : null;
        deps.metrics.timings({ model: request.model, endpoint: name, tier }, continuation ? null : ttftMs / 1000, (now - context.arrived) / 1000, rate);
        // A broken stream is one request whose outcome the proxy knows later (it may still be continued).
        if (result.kind !== 'broken') deps.traffic.record(Date.now(), { ok: outcome.ok, ttftMs });
      }
      if (outcome.ok) state.duration.record(now - started, Date.now());
      resolve(result);
    };
    const clientLeft = () => {
      state.breaker.releaseTrial();
      finish({ kind: 'client-gone' }, { label: 'client_closed', ok: false });
    };
    const firstByte = () => {
      firstByteAt = performance.now();
      clearTimeout(firstByteTimer);
      state.recordTtft(firstByteAt - started, Date.now());
    };
    /** The client's head, written together with the first body bytes (one packet). */
    const startResponse = (first: Buffer | null) => {
      const { status, contentType, body } = head as ResponseHead;
      firstByte();
      const headers: Record<string, string> = { 'content-type': contentType ?? 'application/json', 'x-request-id': context.requestId, 'x-outpost-endpoint': name, 'x-outpost-tier': tier, 'x-outpost-attempts': String(context.attempt) };
      if (isStream) {
        headers['cache-control'] = 'no-cache';
        headers['x-accel-buffering'] = 'no';
      }
      const { socket } = res;
      socket.cork();
      res.writeHead(status, headers, body === 'none' ? { length: 0 } : body === 'length' ? { length: (head as ResponseHead).length } : passthrough ? 'chunked-passthrough' : 'chunked');
      if (first) send(first);
      // Uncorked after this read is handled: when the whole response came in one read, its end goes out in the same write.
      process.nextTick(uncork, socket);
    };
    const send = (bytes: Buffer) => {
      if (!res.write(bytes) && control) {
        control.pause();
        res.onDrain(() => control?.resume());
      }
    };
    const later: LaterWrites = {
      bytes: [],
      queued: false,
      flush: () => {
        if (!client.gone) for (const part of later.bytes) send(part);
        later.bytes.length = 0;
      },
    };
    /**
     * Notes what the first endpoint's stream says. An error event it sends mid-stream, when the client holds
     * no partial event, is held back (the events before it in the same read go out as the router's own
     * chunk) and ends the attempt as a broken stream; true then.
     */
    const heldBackErrorEvent = (bytes: Buffer, payload: readonly Buffer[] | null): boolean => {
      const parts = passthrough ? (payload ?? []) : [bytes];
      const clientAtChunkBoundary = !passthrough || framingAtBoundary;
      let errorAt: number | null = null;
      let offset = 0;
      for (const part of parts) {
        const at = (transcript as StreamTranscript).read(part);
        if (at !== null) {
          errorAt = offset + at;
          break;
        }
        offset += part.length;
      }
      if (errorAt === null) return false;
      if (firstByteAt === null || errorAt < 0 || !clientAtChunkBoundary || !(transcript as StreamTranscript).atEventBoundary) {
        // The client gets the endpoint's error as it came (the first thing it reads, or after half an event): this stream is not continued.
        transcript = null;
        return false;
      }
      if (errorAt > 0) writeLater(later, res.own(Buffer.concat(parts).subarray(0, errorAt)));
      framingAtBoundary = true;
      abort(new BrokenMidStream(`it sent an error event: ${(transcript as StreamTranscript).errorEvent ?? ''}`));
      return true;
    };
    /** A continuation's payload, re-framed as the client's stream goes on. */
    const continueStream = (bytes: Buffer) => {
      if (firstByteAt === null) firstByte();
      const { events, error } = (framer as ContinuationFramer).read(bytes);
      if (events !== '') {
        const out = Buffer.from(events);
        tokens += countEvents(out);
        writeLater(later, res.own(out));
      }
      if (error !== null) abort(new BrokenMidStream(`it sent an error event: ${error}`));
    };
    const fail = (error: Error) => {
      if (settled) return;
      if (client.gone) return clientLeft();
      const reason = describeError(abortReason ?? error);
      const kind: EarlyFailure['kind'] = abortReason instanceof FirstByteTimeout ? 'first-byte-timeout' : head === null ? 'connect' : 'broken-before-first-byte';
      const early: EarlyFailure | null = firstByteAt === null ? { kind, detail: reason } : null;
      // A keep-alive connection the endpoint had closed says nothing about the endpoint's health.
      if (early && isStaleConnection(early)) state.breaker.releaseTrial();
      else {
        state.breaker.recordFailure(Date.now());
        state.failures += 1;
      }
      if (early) {
        finish({ kind: 'early-failure', failure: early }, { label: kind, ok: false });
        return;
      }
      later.flush();
      const canAppend = continuation !== null || (isStream && (!passthrough || framingAtBoundary));
      const ttftMs = continuation ? continuation.ttftMs : (firstByteAt as number) - context.arrived;
      finish({ kind: 'broken', reason, canAppend, transcript: continuation?.transcript ?? transcript, ttftMs }, { label: 'stream_error', ok: false });
    };

    const handler: ExchangeHandler = {
      onHead: (received) => {
        head = received;
        isStream = (received.contentType ?? '').startsWith('text/event-stream');
        if (continuation) {
          // A continuation is re-framed from its payload; an answer that is not a stream cannot continue one.
          refused = received.status !== 200 || !isStream;
          control?.wantPayload();
          return;
        }
        refused = isRetryableStatus(received.status);
        passthrough = received.body === 'length' || (received.body === 'chunked' && res.takesChunks);
        if (!passthrough) control?.wantPayload();
        if (policy.maxMigrations > 0 && isStream && received.status === 200 && received.body !== 'length') {
          transcript = new StreamTranscript(context.path === '/v1/chat/completions' ? 'chat' : 'text');
          if (passthrough) control?.watchPayload();
        }
        if (received.body === 'none' && !refused) startResponse(null);
      },
      onBody: (bytes, framing, payload) => {
        if (settled || refused) return; // a refused answer's body is drained, not forwarded
        if (framer) return continueStream(bytes);
        if (transcript && heldBackErrorEvent(bytes, payload)) return;
        framingAtBoundary = framing.atChunkBoundary();
        if (isStream) tokens += countEvents(bytes);
        if (firstByteAt === null) startResponse(bytes);
        else writeLater(later, bytes);
      },
      onEnd: () => {
        if (settled) return;
        const { status } = head as ResponseHead;
        if (refused) {
          const failure: EarlyFailure = { kind: 'status', detail: isStream || status !== 200 ? `HTTP ${status}` : 'an answer that is not an event stream' };
          if (isRetryableStatus(status) && countsAgainstBreaker(failure, status)) state.breaker.recordFailure(Date.now());
          else state.breaker.releaseTrial();
          state.failures += 1;
          finish({ kind: 'early-failure', failure }, { label: String(status), ok: false });
          return;
        }
        const streamed = firstByteAt !== null;
        if (!streamed && !continuation) startResponse(null);
        const endResponse = () => {
          if (client.gone) return;
          // The last tokens and the closing chunk in one write.
          res.socket.cork();
          later.flush();
          res.end();
          res.socket.uncork();
        };
        // A response that came in one read leaves in one write with its head; a stream's end waits for the token writes.
        if (streamed && tokenWritesWaiting()) endLater(endResponse);
        else endResponse();
        state.breaker.recordSuccess();
        finish({ kind: 'answered' }, { label: String(status), ok: status < 400 });
      },
      onError: (error) => fail(error),
    };
    try {
      control = deps.pools.exchange(name, { path: context.path, body: continuation ? continuation.body : request.upstreamBody, accept: context.accept, idleTimeoutMs: policy.idleTimeoutMs, fresh: context.freshConnection }, handler);
      if (abortReason) control.abort(abortReason);
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

function uncork(socket: ClientResponse['socket']): void {
  socket.uncork();
}

function describeError(error: Error): string {
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const causeCode = cause && typeof cause.code === 'string' ? cause.code : undefined;
  return [typeof code === 'string' && !(error instanceof FirstByteTimeout) && !(error instanceof BrokenMidStream) ? code : undefined, causeCode, error.message].filter(Boolean).join(' ').slice(0, 200);
}

/** SSE events in a chunk, less the closing `[DONE]`: llama.cpp and OpenAI send one token per event. */
function countEvents(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(DATA_PREFIX); at !== -1; at = chunk.indexOf(DATA_PREFIX, at + DATA_PREFIX.length)) count += 1;
  if (count > 0 && chunk.includes(DONE_EVENT)) count -= 1;
  return count;
}
