import { badRequest, type OpenAiError } from './openai-errors.js';

export type ApiPath = '/v1/chat/completions' | '/v1/completions';

/** What the router needs from a request body; everything else is passed through untouched. */
export interface ParsedRequest {
  model: string;
  stream: boolean;
  budgetMs: number | null;
  affinityKey: string | null;
  /** The bytes to send upstream: the client's own, less the router-only `max_latency_ms`. */
  upstreamBody: Buffer;
  /** Those bytes parsed (kept from the check, not parsed again): a migrated stream's continuation is made from them. */
  fields: Readonly<Record<string, unknown>>;
}

export const MAX_BUDGET_MS = 600_000;

/** Parses and checks a completion request; an error names the field and what to send instead. */
export function parseCompletionRequest(path: ApiPath, body: Buffer, budgetHeader: string | undefined, affinityPrefixChars: number): ParsedRequest | OpenAiError {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return badRequest('invalid_json', `the request body is not valid JSON (${error instanceof Error ? error.message : 'parse error'}); send a JSON object`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return badRequest('invalid_json', 'the request body must be a JSON object');
  const fields = json as Record<string, unknown>;
  if (typeof fields.model !== 'string' || fields.model === '') return badRequest('missing_model', 'the request needs a "model" (GET /v1/models lists them)', 'model');
  if (path === '/v1/chat/completions' && !Array.isArray(fields.messages)) return badRequest('invalid_messages', '"messages" must be an array of chat messages', 'messages');
  if (path === '/v1/completions' && fields.prompt === undefined) return badRequest('missing_prompt', 'a completion request needs a "prompt"', 'prompt');
  if (fields.stream !== undefined && typeof fields.stream !== 'boolean') return badRequest('invalid_stream', '"stream" must be true or false', 'stream');

  const fromBody = fields.max_latency_ms;
  const budget = fromBody !== undefined ? checkBudget(fromBody, 'max_latency_ms') : budgetHeader !== undefined ? checkBudget(headerNumber(budgetHeader), 'X-Outpost-Max-Latency-Ms') : null;
  if (budget !== null && typeof budget === 'object') return budget;

  let upstreamBody = body;
  if (fromBody !== undefined) {
    delete fields.max_latency_ms;
    upstreamBody = Buffer.from(JSON.stringify(fields));
  }
  return {
    model: fields.model,
    stream: fields.stream === true,
    budgetMs: budget,
    affinityKey: affinityKey(path === '/v1/chat/completions' ? fields.messages : fields.prompt, affinityPrefixChars),
    upstreamBody,
    fields,
  };
}

function headerNumber(value: string): unknown {
  return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}

function checkBudget(value: unknown, where: string): number | OpenAiError {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_BUDGET_MS) {
    return badRequest('invalid_latency_budget', `${where} must be a whole number of milliseconds from 1 to ${MAX_BUDGET_MS} (got ${JSON.stringify(value)?.slice(0, 40)})`, 'max_latency_ms');
  }
  return value;
}

/** The first characters of the rendered prompt: requests that share them share llama.cpp's prompt cache. */
export function affinityKey(prompt: unknown, prefixChars: number): string | null {
  if (prefixChars <= 0) return null;
  let text = '';
  if (typeof prompt === 'string') text = prompt;
  else if (Array.isArray(prompt)) {
    for (const item of prompt) {
      text += typeof item === 'string' ? item : renderMessage(item);
      if (text.length >= prefixChars) break;
    }
  }
  return text.length === 0 ? null : text.slice(0, prefixChars);
}

function renderMessage(message: unknown): string {
  if (typeof message !== 'object' || message === null) return '';
  const { role, content } = message as { role?: unknown; content?: unknown };
  const parts = typeof content === 'string' ? content : Array.isArray(content) ? content.map((p) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('') : '';
  return `${typeof role === 'string' ? role : ''}:${parts}\n`;
}
