import { randomUUID } from 'node:crypto';
import { bearerToken, type ApiKeyRecord } from '../core/api-keys.js';
import { badRequest, type OpenAiError } from '../core/openai-errors.js';
import { parseCompletionRequest, type ApiPath } from '../core/openai-request.js';
import type { ClientResponse } from './client-response.js';
import { FrontDoor, type ClientRequest } from './http1-server.js';
import { proxyCompletion, sendOpenAiError, type ProxyDeps } from './proxy.js';

export interface HttpApiDeps extends ProxyDeps {
  /** `/healthz`'s answer: the router's own state. */
  health: () => Record<string, unknown>;
}

const COMPLETION_PATHS: ReadonlySet<string> = new Set(['/v1/chat/completions', '/v1/completions']);

/** The OpenAI-compatible API on the router's own HTTP/1.1 front door; errors in OpenAI's format. */
export function createRouterServer(deps: HttpApiDeps): FrontDoor {
  const { policy } = deps.table;
  return new FrontDoor(
    (req, res) => {
      handle(deps, req, res).catch((error: unknown) => {
        deps.log.error('unexpected failure while serving a request', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        sendOpenAiError(res, { status: 500, type: 'server_error', code: 'internal', message: 'the router hit an internal error; the details are in its log' });
      });
    },
    { maxBodyBytes: policy.maxBodyBytes, clientTimeoutMs: policy.clientTimeoutMs },
  );
}

/** The body size limit and the slow-loris guard (head and body must arrive within the client timeout) follow the policy. */
export function applyClientLimits(door: FrontDoor, limits: { maxBodyBytes: number; clientTimeoutMs: number }): void {
  door.limits = { maxBodyBytes: limits.maxBodyBytes, clientTimeoutMs: limits.clientTimeoutMs };
}

async function handle(deps: HttpApiDeps, req: ClientRequest, res: ClientResponse): Promise<void> {
  const { path, method } = req;
  if (path === '/healthz' && method === 'GET') return sendJson(res, 200, deps.health());
  if (path === '/metrics' && method === 'GET') {
    const text = await deps.metrics.registry.metrics();
    res.send(200, { 'content-type': deps.metrics.registry.contentType }, text);
    return;
  }
  if (path === '/v1/models' || COMPLETION_PATHS.has(path)) {
    const wanted = path === '/v1/models' ? 'GET' : 'POST';
    if (method !== wanted) return sendOpenAiError(res, { status: 405, type: 'invalid_request_error', code: 'method_not_allowed', message: `${path} takes ${wanted}, not ${method}` });
    const key = authenticate(deps, req);
    if ('status' in key) return sendOpenAiError(res, key);
    if (path === '/v1/models') return sendJson(res, 200, listModels(deps, key));
    return completion(deps, req, res, path as ApiPath, key);
  }
  return sendOpenAiError(res, { status: 404, type: 'not_found_error', code: 'unknown_url', message: `there is no ${method} ${path.slice(0, 100)} here; the router serves /v1/models, /v1/chat/completions, /v1/completions, /metrics and /healthz` });
}

function authenticate(deps: HttpApiDeps, req: ClientRequest): ApiKeyRecord | OpenAiError {
  const presented = bearerToken(req.header('authorization'));
  if (presented === null) {
    return { status: 401, type: 'authentication_error', code: 'missing_api_key', message: 'this router needs an API key: send "Authorization: Bearer <key>" (create one with `outpost router keys add <app>`)' };
  }
  const record = deps.table.verifyKey(presented);
  if (!record) {
    return { status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'the API key is not valid here (unknown, mistyped or revoked); ask the site technician for a key' };
  }
  return record;
}

function listModels(deps: HttpApiDeps, key: ApiKeyRecord): unknown {
  const models = deps.table.models().filter((m) => key.models === null || key.models.includes(m));
  return { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'outpost' })) };
}

async function completion(deps: HttpApiDeps, req: ClientRequest, res: ClientResponse, path: ApiPath, key: ApiKeyRecord): Promise<void> {
  const body = await req.readBody();
  if ('status' in body) return sendOpenAiError(res, body);
  if (body.length === 0) return sendOpenAiError(res, badRequest('empty_body', 'the request has no body; send a JSON object'));
  const parsed = parseCompletionRequest(path, body, req.header('x-outpost-max-latency-ms'), deps.table.policy.affinityPrefixChars);
  if ('status' in parsed) return sendOpenAiError(res, parsed);
  if (key.models !== null && !key.models.includes(parsed.model)) {
    return sendOpenAiError(res, { status: 403, type: 'permission_error', code: 'model_not_allowed', message: `the key for ${key.app} may not use ${parsed.model}; it may use ${key.models.join(', ')}`, param: 'model' });
  }
  if (!deps.table.servesModel(parsed.model)) {
    const known = deps.table.models();
    return sendOpenAiError(res, {
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: 'model',
      message: `no endpoint serves the model ${parsed.model.slice(0, 100)}; available: ${known.length > 0 ? known.join(', ') : 'none (add an endpoint with `outpost router endpoints add`)'}`,
    });
  }
  const requestId = headerString(req.header('x-request-id')) ?? randomUUID();
  await proxyCompletion(deps, res, path, parsed, requestId, headerString(req.header('accept')));
}

function sendJson(res: ClientResponse, status: number, value: unknown): void {
  res.send(status, { 'content-type': 'application/json' }, JSON.stringify(value));
}

function headerString(value: string | undefined): string | undefined {
  return value === undefined || value.length > 200 ? undefined : value;
}
