import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { bearerToken, type ApiKeyRecord } from '../core/api-keys.js';
import { badRequest, type OpenAiError } from '../core/openai-errors.js';
import { parseCompletionRequest, type ApiPath } from '../core/openai-request.js';
import { proxyCompletion, sendOpenAiError, type ProxyDeps } from './proxy.js';

export interface HttpApiDeps extends ProxyDeps {
  /** `/healthz`'s answer: the router's own state. */
  health: () => Record<string, unknown>;
}

const COMPLETION_PATHS: ReadonlySet<string> = new Set(['/v1/chat/completions', '/v1/completions']);

/** The OpenAI-compatible front door: node:http, no framework, errors in OpenAI's format. */
export function createRouterServer(deps: HttpApiDeps): http.Server {
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000, requestTimeout: 0, connectionsCheckingInterval: 250 }, (req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      deps.log.error('unexpected failure while serving a request', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      sendOpenAiError(res, { status: 500, type: 'server_error', code: 'internal', message: 'the router hit an internal error; the details are in its log' });
    });
  });
  applyClientTimeout(server, deps.table.policy.clientTimeoutMs);
  return server;
}

/** The slow-loris guard: headers must arrive within the policy's client timeout (the body has its own timer). */
export function applyClientTimeout(server: http.Server, ms: number): void {
  server.headersTimeout = ms;
}

async function handle(deps: HttpApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] as string;
  if (path === '/healthz' && req.method === 'GET') return sendJson(res, 200, deps.health());
  if (path === '/metrics' && req.method === 'GET') {
    const text = await deps.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
    res.end(text);
    return;
  }
  if (path === '/v1/models' || COMPLETION_PATHS.has(path)) {
    const wanted = path === '/v1/models' ? 'GET' : 'POST';
    if (req.method !== wanted) return refuse(req, res, { status: 405, type: 'invalid_request_error', code: 'method_not_allowed', message: `${path} takes ${wanted}, not ${req.method}` });
    const key = authenticate(deps, req);
    if ('status' in key) return refuse(req, res, key);
    if (path === '/v1/models') return sendJson(res, 200, listModels(deps, key));
    return completion(deps, req, res, path as ApiPath, key);
  }
  return refuse(req, res, { status: 404, type: 'not_found_error', code: 'unknown_url', message: `there is no ${req.method} ${path.slice(0, 100)} here; the router serves /v1/models, /v1/chat/completions, /v1/completions, /metrics and /healthz` });
}

function authenticate(deps: HttpApiDeps, req: IncomingMessage): ApiKeyRecord | OpenAiError {
  const presented = bearerToken(req.headers.authorization);
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

async function completion(deps: HttpApiDeps, req: IncomingMessage, res: ServerResponse, path: ApiPath, key: ApiKeyRecord): Promise<void> {
  const { policy } = deps.table;
  const body = await readBody(req, policy.maxBodyBytes, policy.clientTimeoutMs);
  if ('status' in body) return refuse(req, res, body);
  const budgetHeader = req.headers['x-outpost-max-latency-ms'];
  const parsed = parseCompletionRequest(path, body, Array.isArray(budgetHeader) ? budgetHeader[0] : budgetHeader, policy.affinityPrefixChars);
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
  const requestId = headerString(req.headers['x-request-id']) ?? randomUUID();
  await proxyCompletion(deps, res, path, parsed, requestId, headerString(req.headers.accept));
}

/** The body, bounded in size and time; a refusal is an OpenAI error. */
function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer | OpenAiError> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve(tooLarge(maxBytes));
  const framedByLength = Number.isFinite(declared) && req.headers['transfer-encoding'] === undefined;
  return new Promise((resolve) => {
    // A body that came with its headers has been parsed and buffered by the next tick: it is taken in one
    // read, past the stream's resume, 'data' and 'end' ticks (about 50 µs of the request path under load).
    process.nextTick(() => (framedByLength && req.readableLength === declared ? resolve(checkedBody(req.read() as Buffer | null, maxBytes)) : streamBody(req, maxBytes, timeoutMs, resolve)));
  });
}

function streamBody(req: IncomingMessage, maxBytes: number, timeoutMs: number, resolve: (body: Buffer | OpenAiError) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = (result: Buffer | OpenAiError) => {
    clearTimeout(timer);
    req.removeAllListeners('data');
    resolve(result);
  };
  const timer = setTimeout(() => finish({ status: 408, type: 'invalid_request_error', code: 'request_timeout', message: `the request body did not arrive within ${timeoutMs} ms` }), timeoutMs);
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) finish(tooLarge(maxBytes));
    else chunks.push(chunk);
  });
  req.once('end', () => finish(checkedBody(Buffer.concat(chunks, size), maxBytes)));
  req.once('error', () => finish(badRequest('broken_body', 'the request body could not be read')));
}

function checkedBody(body: Buffer | null, maxBytes: number): Buffer | OpenAiError {
  if (body === null || body.length === 0) return badRequest('empty_body', 'the request has no body; send a JSON object');
  return body.length > maxBytes ? tooLarge(maxBytes) : body;
}

function tooLarge(maxBytes: number): OpenAiError {
  return { status: 413, type: 'invalid_request_error', code: 'request_too_large', message: `the request body is over the router's limit of ${maxBytes} bytes; send a shorter prompt` };
}

/** Refusing before the body was read: close the connection so the unread body cannot be parsed as the next request. */
function refuse(req: IncomingMessage, res: ServerResponse, error: OpenAiError): void {
  const unread = !req.complete;
  sendOpenAiError(res, error, unread ? { connection: 'close' } : {});
  if (unread) res.once('finish', () => req.socket.destroySoon());
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function headerString(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.length > 200 ? undefined : first;
}
