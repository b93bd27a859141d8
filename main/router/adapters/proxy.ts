import { performance } from 'node:perf_hooks';
import type { RetryRecord } from '../../../shared/domain/router.js';
import type { Logger } from '../../platform/log.js';
import { openAiErrorBody, streamErrorEvent, type OpenAiError } from '../core/openai-errors.js';
import type { ResponseHead } from '../core/http1-response.js';
import type { ApiPath, ParsedRequest } from '../core/openai-request.js';
import { countsAgainstBreaker, describeFailure, isRetryableStatus, isStaleConnection, mayRetry, type EarlyFailure } from '../core/retry.js';
import type { EndpointState, RoutingTable } from '../core/routing-table.js';
import type { TrafficSeries } from '../core/traffic.js';
import type { RouterMetrics } from './metrics.js';
import type { ClientResponse } from './client-response.js';
import type { ExchangeControl, ExchangeHandler } from './passthrough.js';
import type { UpstreamPools } from './upstream.js';

export interface ProxyDeps {
  table: RoutingTable;
  pools: UpstreamPools;
  metrics: RouterMetrics;
  traffic: TrafficSeries;
  /** Appends to the retry log the core copies into the ops journal. */
  journalRetry: (record: RetryRecord) => void;
  log: Logger;
}

type AttemptResult = { kind: 'answered' } | { kind: 'client-gone' } | { kind: 'early-failure'; failure: EarlyFailure };

class FirstByteTimeout extends Error {}
class ClientGone extends Error {}

/** The client's side of one request: whether it left, and what to stop when it does (cheaper than an AbortController per request). */
interface ClientLink {
  gone: boolean;
  onGone: ((reason: Error) => void) | null;
}

const DATA_PREFIX = Buffer.from('data: ');
const DONE_EVENT = Buffer.from('data: [DONE]');

/**
 * Sends one completion request to the chosen endpoint, and on a failure before
 * the client saw a byte, to the next choice — at most `maxRetries` more times,
 * each retry journaled. The client's headers are written only with the first
 * upstream byte, which is what keeps the retry window open until then.
 */
export async function proxyCompletion(deps: ProxyDeps, res: ClientResponse, path: ApiPath, request: ParsedRequest, requestId: string, accept: string | undefined): Promise<void> {
  const arrived = performance.now();
  const client: ClientLink = { gone: false, onGone: null };
  res.whenGone(() => {
    client.gone = true;
    client.onGone?.(new ClientGone('the client disconnected'));
  });
  const tried = new Set<string>();
  const freshConnectionTried = new Set<string>();
  const failures: string[] = [];
  const { policy } = deps.table;
  for (let attempt = 1; ; attempt += 1) {
    const decision = deps.table.choose(request.model, { budgetMs: request.budgetMs, affinityKey: request.affinityKey, exclude: tried }, Date.now());
    if (!decision.ok) {
      const message = failures.length > 0 ? `every attempt failed before the first byte (${failures.join('; ')}); ${decision.reason}` : decision.reason;
      finishWithError(deps, res, request.model, { status: 503, type: 'server_error', code: decision.overBudget ? 'latency_budget_unmeetable' : 'no_endpoint_available', message });
      return;
    }
    const state = deps.table.endpoint(decision.name) as EndpointState;
    state.breaker.tryAcquire(Date.now());
    const result = await attemptOnce(deps, state, res, path, request, requestId, accept, arrived, client, attempt, freshConnectionTried.has(decision.name));
    if (result.kind !== 'early-failure') return;
    if (isStaleConnection(result.failure) && !freshConnectionTried.has(decision.name)) freshConnectionTried.add(decision.name);
    else tried.add(decision.name);
    failures.push(describeFailure(decision.name, result.failure));
    // A redo over a fresh connection is not a retry elsewhere: it does not spend the policy's budget.
    if (!mayRetry(attempt - freshConnectionTried.size, policy.maxRetries, !client.gone)) {
      if (client.gone) return;
      finishWithError(deps, res, request.model, {
        status: 503,
        type: 'server_error',
        code: 'upstream_failed',
        message: `the request failed on ${attempt} endpoint${attempt > 1 ? 's' : ''} before any output (${failures.join('; ')}); no more retries (policy maxRetries ${policy.maxRetries})`,
      });
      return;
    }
    deps.metrics.retry(request.model, decision.name, result.failure.kind);
    deps.journalRetry({ at: new Date().toISOString(), requestId, model: request.model, failedEndpoint: decision.name, reason: result.failure.detail, attempt });
  }
}

/**
 * One attempt on one endpoint over a passthrough connection: the endpoint's
 * bytes go to the client socket as they came (a chunked stream keeps its own
 * framing, the router writes only the final chunk), and the endpoint is
 * paused while the client cannot keep up.
 */
function attemptOnce(
  deps: ProxyDeps,
  state: EndpointState,
  res: ClientResponse,
  path: ApiPath,
  request: ParsedRequest,
  requestId: string,
  accept: string | undefined,
  arrived: number,
  client: ClientLink,
  attempt: number,
  freshConnection: boolean,
): Promise<AttemptResult> {
  const { policy } = deps.table;
  const { name, tier } = state.spec;
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
    /** Whether the endpoint's body bytes go to the client as they are (a length, or chunks to an HTTP/1.1 client); else its payload is framed anew. */
    let passthrough = false;
    /** Whether what the client got so far ends between chunks, so the router may append an error event of its own. */
    let framingAtBoundary = true;

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
        const ttftMs = firstByteAt - arrived;
        const rate = tokens > 1 && now > firstByteAt ? (tokens - 1) / ((now - firstByteAt) / 1000) : null;
        deps.metrics.timings({ model: request.model, endpoint: name, tier }, ttftMs / 1000, (now - arrived) / 1000, rate);
        deps.traffic.record(Date.now(), { ok: outcome.ok, ttftMs });
      }
      if (outcome.ok) state.duration.record(now - started, Date.now());
      resolve(result);
    };
    const clientLeft = () => {
      state.breaker.releaseTrial();
      finish({ kind: 'client-gone' }, { label: 'client_closed', ok: false });
    };
    /** The client's head, written together with the first body bytes (one packet). */
    const startResponse = (first: Buffer | null) => {
      const { status, contentType, body } = head as ResponseHead;
      firstByteAt = performance.now();
      clearTimeout(firstByteTimer);
      state.recordTtft(firstByteAt - started, Date.now());
      const headers: Record<string, string> = { 'content-type': contentType ?? 'application/json', 'x-request-id': requestId, 'x-outpost-endpoint': name, 'x-outpost-tier': tier, 'x-outpost-attempts': String(attempt) };
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
      // After the first byte there is no retry: the client gets a stream error it can see, when the framing allows one.
      deps.log.error('an upstream stream broke after its first byte', { endpoint: name, requestId, reason });
      later.flush();
      const canAppend = isStream && (!passthrough || framingAtBoundary);
      if (canAppend) res.end(streamErrorEvent(`the upstream endpoint ${name} failed mid-stream (${reason}); the output above is incomplete`));
      else res.destroy();
      finish({ kind: 'answered' }, { label: 'stream_error', ok: false });
    };

    const handler: ExchangeHandler = {
      onHead: (received) => {
        head = received;
        isStream = (received.contentType ?? '').startsWith('text/event-stream');
        passthrough = received.body === 'length' || (received.body === 'chunked' && res.takesChunks);
        if (!passthrough) control?.wantPayload();
        if (received.body === 'none' && !isRetryableStatus(received.status)) startResponse(null);
      },
      onBody: (bytes, framing) => {
        if (settled || isRetryableStatus((head as ResponseHead).status)) return; // an error body is drained, not forwarded
        framingAtBoundary = framing.atChunkBoundary();
        if (isStream) tokens += countEvents(bytes);
        if (firstByteAt === null) startResponse(bytes);
        else writeLater(later, bytes);
      },
      onEnd: () => {
        if (settled) return;
        const { status } = head as ResponseHead;
        if (isRetryableStatus(status)) {
          const failure: EarlyFailure = { kind: 'status', detail: `HTTP ${status}` };
          if (countsAgainstBreaker(failure, status)) state.breaker.recordFailure(Date.now());
          else state.breaker.releaseTrial();
          state.failures += 1;
          finish({ kind: 'early-failure', failure }, { label: String(status), ok: false });
          return;
        }
        const streamed = firstByteAt !== null;
        if (!streamed) startResponse(null);
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
      control = deps.pools.exchange(name, { path, body: request.upstreamBody, accept, idleTimeoutMs: policy.idleTimeoutMs, fresh: freshConnection }, handler);
      if (abortReason) control.abort(abortReason);
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** Token bytes of one stream waiting for the end of the event loop's poll phase. */
interface LaterWrites {
  bytes: Buffer[];
  /** Whether it is in `waiting` (a flag instead of a Set: the set would grow and shrink by hundreds every burst). */
  queued: boolean;
  flush: () => void;
}

let waiting: LaterWrites[] = [];
let waitingFrom = 0;
let endings: Array<() => void> = [];
let endingsFrom = 0;
let flushScheduled = false;

/**
 * Tokens after a stream's first are written once the event loop has handled every socket that was
 * ready (setImmediate runs after the poll phase). An LLM server emits a token for every running
 * sequence at the same moment, so they arrive here in bursts; writing them later lets the new
 * requests and first tokens in that burst go out first, which is what time to first byte measures.
 * They go out a slice at a time, with a poll phase between slices, so that a request or first token
 * arriving meanwhile waits for one slice, not for the whole burst. A stream's end and errors flush its
 * waiting bytes first, so order is kept.
 */
function writeLater(later: LaterWrites, bytes: Buffer): void {
  later.bytes.push(bytes);
  if (later.queued) return;
  later.queued = true;
  waiting.push(later);
  scheduleFlush();
}

/**
 * A stream that ends while token writes are waiting ends after them. A client that works in a loop (an
 * agent, a batch job) sends its next request as soon as it reads the end of the last one; written in the
 * middle of a burst, that request arrived while the router was still writing the rest of the burst and
 * waits for it. Written last, the next request finds the router done; the last token waits only for the
 * burst's other writes. With no token writes waiting (one-token answers, an instant upstream) there is no
 * burst to get out of the way, and waiting for the poll phase would only delay the client's next request:
 * ends go out at once then.
 */
function endLater(end: () => void): void {
  endings.push(end);
  scheduleFlush();
}

function tokenWritesWaiting(): boolean {
  return waitingFrom < waiting.length;
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushWaiting);
}

const STREAMS_PER_SLICE = 32;

function flushWaiting(): void {
  flushScheduled = false;
  let budget = STREAMS_PER_SLICE;
  for (; budget > 0 && waitingFrom < waiting.length; budget -= 1, waitingFrom += 1) {
    const later = waiting[waitingFrom] as LaterWrites;
    later.queued = false;
    later.flush();
  }
  if (waitingFrom === waiting.length) {
    waiting = [];
    waitingFrom = 0;
    for (; budget > 0 && endingsFrom < endings.length; budget -= 1, endingsFrom += 1) (endings[endingsFrom] as () => void)();
    if (endingsFrom === endings.length) {
      endings = [];
      endingsFrom = 0;
    }
  }
  if (waiting.length > 0 || endings.length > 0) scheduleFlush();
}

function uncork(socket: ClientResponse['socket']): void {
  socket.uncork();
}

function describeError(error: Error): string {
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const causeCode = cause && typeof cause.code === 'string' ? cause.code : undefined;
  return [typeof code === 'string' && !(error instanceof FirstByteTimeout) ? code : undefined, causeCode, error.message].filter(Boolean).join(' ').slice(0, 200);
}

/** SSE events in a chunk, less the closing `[DONE]`: llama.cpp and OpenAI send one token per event. */
function countEvents(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(DATA_PREFIX); at !== -1; at = chunk.indexOf(DATA_PREFIX, at + DATA_PREFIX.length)) count += 1;
  if (count > 0 && chunk.includes(DONE_EVENT)) count -= 1;
  return count;
}

export function sendOpenAiError(res: ClientResponse, error: OpenAiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.send(error.status, { 'content-type': 'application/json' }, openAiErrorBody(error));
}

function finishWithError(deps: ProxyDeps, res: ClientResponse, model: string, error: OpenAiError): void {
  deps.metrics.request({ model, endpoint: 'none', tier: 'none', status: String(error.status) });
  deps.traffic.record(Date.now(), { ok: false, ttftMs: null });
  sendOpenAiError(res, error);
}
