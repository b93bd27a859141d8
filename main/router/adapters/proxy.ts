import { performance } from 'node:perf_hooks';
import type { RetryRecord } from '../../../shared/domain/router.js';
import type { Logger } from '../../platform/log.js';
import { DONE_EVENT, planContinuation } from '../core/migration.js';
import { openAiErrorBody, streamErrorEvent, type OpenAiError } from '../core/openai-errors.js';
import type { ApiPath, ParsedRequest } from '../core/openai-request.js';
import { describeFailure, isStaleConnection, mayRetry } from '../core/retry.js';
import type { EndpointState, RoutingTable } from '../core/routing-table.js';
import type { TrafficSeries } from '../core/traffic.js';
import { attemptOnce, type AttemptResult, type ClientLink, type Continuation } from './attempt.js';
import type { ClientResponse } from './client-response.js';
import type { RouterMetrics } from './metrics.js';
import type { UpstreamPools } from './upstream.js';

export interface ProxyDeps {
  table: RoutingTable;
  pools: UpstreamPools;
  metrics: RouterMetrics;
  traffic: TrafficSeries;
  /** Appends to the retry log the core copies into the ops journal (retries, and migrations). */
  journalRetry: (record: RetryRecord) => void;
  log: Logger;
}

type Broken = Extract<AttemptResult, { kind: 'broken' }>;

/** A stream that broke mid-stream on `from` and goes on elsewhere. */
interface Migration {
  from: string;
  broken: Broken;
  continuation: Continuation;
  journaled: boolean;
}

/**
 * Sends one completion request to the chosen endpoint, and on a failure before
 * the client saw a byte, to the next choice — at most `maxRetries` more times,
 * each retry journaled. The client's headers are written only with the first
 * upstream byte, which is what keeps the retry window open until then. A stream
 * that breaks after that is continued on another endpoint (request migration, at
 * most `maxMigrations` times, each journaled) when it can be; else the client
 * gets an error event.
 */
export async function proxyCompletion(deps: ProxyDeps, res: ClientResponse, path: ApiPath, request: ParsedRequest, requestId: string, accept: string | undefined): Promise<void> {
  const arrived = performance.now();
  const client: ClientLink = { gone: false, onGone: null };
  res.whenGone(() => {
    client.gone = true;
    client.onGone?.(new Error('the client disconnected'));
  });
  const tried = new Set<string>();
  const freshConnectionTried = new Set<string>();
  let failures: string[] = [];
  let earlyFailures = 0;
  let migration: Migration | null = null;
  let migrations = 0;
  const { policy } = deps.table;
  for (let attempt = 1; ; attempt += 1) {
    const decision = deps.table.choose(request.model, { budgetMs: request.budgetMs, affinityKey: request.affinityKey, exclude: tried }, Date.now());
    if (!decision.ok) {
      if (migration) return endMigration(deps, res, request.model, migration, 'no_endpoint', `no endpoint is left to continue it on (${decision.reason})`);
      const message = failures.length > 0 ? `every attempt failed before the first byte (${failures.join('; ')}); ${decision.reason}` : decision.reason;
      finishWithError(deps, res, request.model, { status: 503, type: 'server_error', code: decision.overBudget ? 'latency_budget_unmeetable' : 'no_endpoint_available', message });
      return;
    }
    if (migration && !migration.journaled) {
      migration.journaled = true;
      journalMigration(deps, request.model, requestId, attempt, migration, decision.name);
    }
    const state = deps.table.endpoint(decision.name) as EndpointState;
    state.breaker.tryAcquire(Date.now());
    const context = { path, request, requestId, accept, arrived, client, attempt, freshConnection: freshConnectionTried.has(decision.name) };
    const result = await attemptOnce(deps, state, res, context, migration?.continuation ?? null);
    if (result.kind === 'answered' || result.kind === 'client-gone') {
      if (migration) deps.metrics.migration(request.model, migration.from, result.kind === 'answered' ? 'continued' : 'client_closed');
      return;
    }
    if (result.kind === 'broken') {
      tried.add(decision.name);
      if (migration) deps.metrics.migration(request.model, migration.from, 'failed');
      migration = continueElsewhere(deps, res, path, request, decision.name, result, migrations);
      if (!migration) return;
      migrations += 1;
      // The continuation has the policy's retries of its own.
      failures = [];
      earlyFailures = 0;
      continue;
    }
    if (isStaleConnection(result.failure) && !freshConnectionTried.has(decision.name)) freshConnectionTried.add(decision.name);
    else {
      tried.add(decision.name);
      // A redo over a fresh connection is not a retry elsewhere: it does not spend the policy's budget.
      earlyFailures += 1;
    }
    failures.push(describeFailure(decision.name, result.failure));
    if (!mayRetry(earlyFailures, policy.maxRetries, !client.gone)) {
      if (client.gone) {
        if (migration) deps.metrics.migration(request.model, migration.from, 'client_closed');
        return;
      }
      const spent = `no more retries (policy maxRetries ${policy.maxRetries})`;
      if (migration) return endMigration(deps, res, request.model, migration, 'failed', `continuing it failed before any output (${failures.join('; ')}); ${spent}`);
      finishWithError(deps, res, request.model, {
        status: 503,
        type: 'server_error',
        code: 'upstream_failed',
        message: `the request failed on ${attempt} endpoint${attempt > 1 ? 's' : ''} before any output (${failures.join('; ')}); ${spent}`,
      });
      return;
    }
    deps.metrics.retry(request.model, decision.name, result.failure.kind);
    deps.journalRetry({ at: new Date().toISOString(), requestId, model: request.model, failedEndpoint: decision.name, reason: result.failure.detail, attempt });
  }
}

/**
 * After a stream broke on `endpoint`: the continuation to send elsewhere, or null once the client's
 * stream is ended here — with `[DONE]` when the generation was already complete or its token limit is
 * spent, else with an error event (or a cut connection when the framing allows no event).
 */
function continueElsewhere(deps: ProxyDeps, res: ClientResponse, path: ApiPath, request: ParsedRequest, endpoint: string, broken: Broken, migrations: number): Migration | null {
  const { transcript } = broken;
  const { maxMigrations } = deps.table.policy;
  if (transcript === null || !broken.canAppend || !transcript.atEventBoundary) return endBrokenStream(deps, res, request.model, endpoint, broken, null);
  if (transcript.done || transcript.finished) {
    endWhole(deps, res, broken, transcript.done ? undefined : DONE_EVENT);
    return null;
  }
  if (migrations >= maxMigrations) return endBrokenStream(deps, res, request.model, endpoint, broken, `not continued elsewhere: policy maxMigrations ${maxMigrations} is spent`);
  const kind = path === '/v1/chat/completions' ? 'chat' : 'text';
  const plan = planContinuation(kind, request.fields, transcript);
  if (plan.kind === 'impossible') return endBrokenStream(deps, res, request.model, endpoint, broken, `not continued elsewhere: ${plan.reason}`);
  if (plan.kind === 'complete') {
    endWhole(deps, res, broken, plan.events);
    return null;
  }
  return { from: endpoint, broken, continuation: { kind, transcript, body: plan.body, ttftMs: broken.ttftMs }, journaled: false };
}

function journalMigration(deps: ProxyDeps, model: string, requestId: string, attempt: number, migration: Migration, to: string): void {
  const tokensSoFar = migration.continuation.transcript.tokens;
  deps.log.info('a stream moved to another endpoint after its first token', { requestId, from: migration.from, to, tokensSoFar, reason: migration.broken.reason });
  deps.journalRetry({ at: new Date().toISOString(), requestId, model, failedEndpoint: migration.from, reason: migration.broken.reason, attempt, kind: 'migration', toEndpoint: to, tokensSoFar });
}

/** A migration that did not get the stream to its end: the client gets the error event after all. */
function endMigration(deps: ProxyDeps, res: ClientResponse, model: string, migration: Migration, outcome: 'no_endpoint' | 'failed', why: string): void {
  deps.metrics.migration(model, migration.from, outcome);
  endBrokenStream(deps, res, model, migration.from, migration.broken, why);
}

function endBrokenStream(deps: ProxyDeps, res: ClientResponse, model: string, endpoint: string, broken: Broken, notContinued: string | null): null {
  deps.log.error('an upstream stream broke after its first byte', { endpoint, reason: broken.reason, notContinued });
  deps.metrics.streamFailure(model, 'after_first_token');
  deps.traffic.record(Date.now(), { ok: false, ttftMs: broken.ttftMs });
  const message = `the upstream endpoint ${endpoint} failed mid-stream (${broken.reason})${notContinued ? `; ${notContinued}` : ''}; the output above is incomplete`;
  if (broken.canAppend) res.end(streamErrorEvent(message));
  else res.destroy();
  return null;
}

/** A stream that broke when the client already had all of it but the end. */
function endWhole(deps: ProxyDeps, res: ClientResponse, broken: Broken, events: string | undefined): void {
  deps.traffic.record(Date.now(), { ok: true, ttftMs: broken.ttftMs });
  res.end(events);
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
  deps.metrics.streamFailure(model, 'before_first_token');
  deps.traffic.record(Date.now(), { ok: false, ttftMs: null });
  sendOpenAiError(res, error);
}
