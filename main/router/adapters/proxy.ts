import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { RetryRecord } from '../../../shared/domain/router.js';
import type { Logger } from '../../app/log.js';
import { openAiErrorBody, streamErrorEvent, type OpenAiError } from '../core/openai-errors.js';
import type { ApiPath, ParsedRequest } from '../core/openai-request.js';
import { countsAgainstBreaker, describeFailure, isRetryableStatus, mayRetry, type EarlyFailure } from '../core/retry.js';
import type { EndpointState, RoutingTable } from '../core/routing-table.js';
import type { TrafficSeries } from '../core/traffic.js';
import type { RouterMetrics } from './metrics.js';
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

const DATA_PREFIX = Buffer.from('data: ');
const DONE_EVENT = Buffer.from('data: [DONE]');

/**
 * Sends one completion request to the chosen endpoint, and on a failure before
 * the client saw a byte, to the next choice — at most `maxRetries` more times,
 * each retry journaled. The client's headers are written only with the first
 * upstream byte, which is what keeps the retry window open until then.
 */
export async function proxyCompletion(deps: ProxyDeps, res: ServerResponse, path: ApiPath, request: ParsedRequest, requestId: string, accept: string | undefined): Promise<void> {
  const arrived = performance.now();
  const clientGone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) clientGone.abort(new ClientGone('the client disconnected'));
  });
  const tried = new Set<string>();
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
    const result = await attemptOnce(deps, state, res, path, request, requestId, accept, arrived, clientGone.signal, attempt);
    if (result.kind !== 'early-failure') return;
    tried.add(decision.name);
    failures.push(describeFailure(decision.name, result.failure));
    if (!mayRetry(attempt, policy.maxRetries, !clientGone.signal.aborted)) {
      if (clientGone.signal.aborted) return;
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

async function attemptOnce(
  deps: ProxyDeps,
  state: EndpointState,
  res: ServerResponse,
  path: ApiPath,
  request: ParsedRequest,
  requestId: string,
  accept: string | undefined,
  arrived: number,
  clientGone: AbortSignal,
  attempt: number,
): Promise<AttemptResult> {
  const { policy } = deps.table;
  const { name, tier } = state.spec;
  const controller = new AbortController();
  const onClientGone = () => controller.abort(clientGone.reason);
  clientGone.addEventListener('abort', onClientGone, { once: true });
  const firstByteTimer = setTimeout(() => controller.abort(new FirstByteTimeout(`no first byte within ${policy.firstByteTimeoutMs} ms`)), policy.firstByteTimeoutMs);
  state.inFlight += 1;
  state.requests += 1;
  deps.metrics.setInFlight(name, tier, state.inFlight);
  const started = performance.now();
  let firstByteAt: number | null = null;
  let tokens = 0;
  let status = 0;
  const done = (outcome: { label: string; ok: boolean }) => {
    clearTimeout(firstByteTimer);
    clientGone.removeEventListener('abort', onClientGone);
    state.inFlight -= 1;
    deps.metrics.setInFlight(name, tier, state.inFlight);
    const now = performance.now();
    const ttftMs = firstByteAt === null ? null : firstByteAt - arrived;
    deps.metrics.request({ model: request.model, endpoint: name, tier, status: outcome.label });
    if (firstByteAt !== null) {
      const rate = tokens > 1 && now > firstByteAt ? (tokens - 1) / ((now - firstByteAt) / 1000) : null;
      deps.metrics.timings({ model: request.model, endpoint: name, tier }, (ttftMs as number) / 1000, (now - arrived) / 1000, rate);
      deps.traffic.record(Date.now(), { ok: outcome.ok, ttftMs });
    }
    if (outcome.ok) state.duration.record(now - started, Date.now());
  };

  let response: Dispatcher.ResponseData;
  try {
    response = await deps.pools.request(name, {
      method: 'POST',
      path,
      body: request.upstreamBody,
      accept,
      signal: controller.signal,
      headersTimeout: policy.firstByteTimeoutMs,
      bodyTimeout: policy.idleTimeoutMs,
    });
  } catch (error) {
    return earlyFailure(state, done, clientGone, controller.signal, error, 'connect');
  }
  status = response.statusCode;
  if (isRetryableStatus(status)) {
    response.body.dump().catch(() => undefined);
    const failure: EarlyFailure = { kind: 'status', detail: `HTTP ${status}` };
    if (countsAgainstBreaker(failure, status)) state.breaker.recordFailure(Date.now());
    else state.breaker.releaseTrial();
    state.failures += 1;
    done({ label: String(status), ok: false });
    return { kind: 'early-failure', failure };
  }

  const contentType = headerValue(response.headers['content-type']) ?? 'application/json';
  const isStream = contentType.startsWith('text/event-stream');
  return new Promise<AttemptResult>((resolve) => {
    const body = response.body;
    body.on('data', (chunk: Buffer) => {
      if (firstByteAt === null) {
        firstByteAt = performance.now();
        clearTimeout(firstByteTimer);
        state.recordTtft(firstByteAt - started, Date.now());
        const headers: Record<string, string> = { 'content-type': contentType, 'x-request-id': requestId, 'x-outpost-endpoint': name, 'x-outpost-tier': tier, 'x-outpost-attempts': String(attempt) };
        if (isStream) {
          headers['cache-control'] = 'no-cache';
          headers['x-accel-buffering'] = 'no';
        }
        res.writeHead(status, headers);
      }
      if (isStream) tokens += countEvents(chunk);
      if (!res.write(chunk)) {
        body.pause();
        res.once('drain', () => body.resume());
      }
    });
    body.once('end', () => {
      if (firstByteAt === null) {
        firstByteAt = performance.now();
        res.writeHead(status, { 'content-type': contentType, 'x-request-id': requestId, 'x-outpost-endpoint': name, 'x-outpost-tier': tier, 'x-outpost-attempts': String(attempt) });
      }
      res.end();
      state.breaker.recordSuccess();
      done({ label: String(status), ok: status < 400 });
      resolve({ kind: 'answered' });
    });
    body.once('error', (error: Error) => {
      if (firstByteAt === null) {
        resolve(earlyFailure(state, done, clientGone, controller.signal, error, 'broken-before-first-byte'));
        return;
      }
      if (clientGone.aborted) {
        state.breaker.releaseTrial();
        done({ label: 'client_closed', ok: false });
        resolve({ kind: 'client-gone' });
        return;
      }
      // After the first byte there is no retry: the client gets a stream error it can see.
      state.breaker.recordFailure(Date.now());
      state.failures += 1;
      deps.log.error('an upstream stream broke after its first byte', { endpoint: name, requestId, reason: reasonOf(controller.signal, error) });
      if (isStream) res.end(streamErrorEvent(`the upstream endpoint ${name} failed mid-stream (${reasonOf(controller.signal, error)}); the output above is incomplete`));
      else res.destroy();
      done({ label: 'stream_error', ok: false });
      resolve({ kind: 'answered' });
    });
  });
}

function earlyFailure(
  state: EndpointState,
  done: (outcome: { label: string; ok: boolean }) => void,
  clientGone: AbortSignal,
  attemptSignal: AbortSignal,
  error: unknown,
  kind: EarlyFailure['kind'],
): AttemptResult {
  if (clientGone.aborted) {
    state.breaker.releaseTrial();
    done({ label: 'client_closed', ok: false });
    return { kind: 'client-gone' };
  }
  const timedOut = attemptSignal.reason instanceof FirstByteTimeout;
  const failure: EarlyFailure = { kind: timedOut ? 'first-byte-timeout' : kind, detail: reasonOf(attemptSignal, error) };
  state.breaker.recordFailure(Date.now());
  state.failures += 1;
  done({ label: failure.kind, ok: false });
  return { kind: 'early-failure', failure };
}

function reasonOf(signal: AbortSignal, error: unknown): string {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason.message;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const causeCode = cause && typeof cause.code === 'string' ? cause.code : undefined;
    return [typeof code === 'string' ? code : undefined, causeCode, error.message].filter(Boolean).join(' ').slice(0, 200);
  }
  return String(error).slice(0, 200);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** SSE events in a chunk, less the closing `[DONE]`: llama.cpp and OpenAI send one token per event. */
function countEvents(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(DATA_PREFIX); at !== -1; at = chunk.indexOf(DATA_PREFIX, at + DATA_PREFIX.length)) count += 1;
  if (count > 0 && chunk.includes(DONE_EVENT)) count -= 1;
  return count;
}

export function sendOpenAiError(res: ServerResponse, error: OpenAiError, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = openAiErrorBody(error);
  res.writeHead(error.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extraHeaders });
  res.end(body);
}

function finishWithError(deps: ProxyDeps, res: ServerResponse, model: string, error: OpenAiError): void {
  deps.metrics.request({ model, endpoint: 'none', tier: 'none', status: String(error.status) });
  deps.traffic.record(Date.now(), { ok: false, ttftMs: null });
  sendOpenAiError(res, error);
}
