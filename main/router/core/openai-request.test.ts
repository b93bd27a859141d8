import assert from 'node:assert/strict';
import test from 'node:test';
import { apiKeyId, bearerToken, formatApiKey, hashApiKey, sameHash } from './api-keys.js';
import { affinityKey, parseCompletionRequest } from './openai-request.js';

const body = (v: unknown) => Buffer.from(JSON.stringify(v));

test('a request keeps its bytes unless the router-only budget must be removed', () => {
  const raw = body({ model: 'm', messages: [{ role: 'user', content: 'hi' }], top_k: 4 });
  const parsed = parseCompletionRequest('/v1/chat/completions', raw, undefined, 64);
  assert.ok(!('status' in parsed));
  assert.equal(!('status' in parsed) && parsed.upstreamBody, raw, 'the same buffer, not re-serialised');
  const withBudget = parseCompletionRequest('/v1/chat/completions', body({ model: 'm', messages: [], max_latency_ms: 250, stream: true }), '9', 64);
  assert.ok(!('status' in withBudget));
  if (!('status' in withBudget)) {
    assert.equal(withBudget.budgetMs, 250, 'the body wins over the header');
    assert.equal(withBudget.stream, true);
    assert.deepEqual(JSON.parse(withBudget.upstreamBody.toString()), { model: 'm', messages: [], stream: true });
  }
  const fromHeader = parseCompletionRequest('/v1/completions', body({ model: 'm', prompt: 'p' }), '1200', 64);
  assert.equal(!('status' in fromHeader) && fromHeader.budgetMs, 1200);
});

test('bad fields are refused by name', () => {
  const refuse = (path: '/v1/chat/completions' | '/v1/completions', value: unknown, header?: string) => {
    const result = parseCompletionRequest(path, typeof value === 'string' ? Buffer.from(value) : body(value), header, 64);
    return 'status' in result ? result.code : 'accepted';
  };
  assert.equal(refuse('/v1/chat/completions', '{'), 'invalid_json');
  assert.equal(refuse('/v1/chat/completions', 'null'), 'invalid_json');
  assert.equal(refuse('/v1/chat/completions', { messages: [] }), 'missing_model');
  assert.equal(refuse('/v1/completions', { model: 'm' }), 'missing_prompt');
  assert.equal(refuse('/v1/chat/completions', { model: 'm', messages: [], stream: 'yes' }), 'invalid_stream');
  assert.equal(refuse('/v1/chat/completions', { model: 'm', messages: [], max_latency_ms: 0 }), 'invalid_latency_budget');
  assert.equal(refuse('/v1/chat/completions', { model: 'm', messages: [], max_latency_ms: 1.5 }), 'invalid_latency_budget');
  assert.equal(refuse('/v1/chat/completions', { model: 'm', messages: [] }, '-3'), 'invalid_latency_budget');
  assert.equal(refuse('/v1/chat/completions', { model: 'm', messages: [] }, '600001'), 'invalid_latency_budget');
  assert.equal(refuse('/v1/chat/completions', { model: 'm', messages: [] }, '600000'), 'accepted');
});

test('the affinity key is the rendered prompt prefix, so a shared system prompt shares it', () => {
  const system = { role: 'system', content: 'You are the inspection assistant. '.repeat(10) };
  const a = affinityKey([system, { role: 'user', content: 'crack on weld 4?' }], 128);
  const b = affinityKey([system, { role: 'user', content: 'paint defect?' }], 128);
  assert.equal(a, b);
  assert.equal(a?.length, 128);
  assert.equal(affinityKey([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], 128), 'user:hi\n');
  assert.equal(affinityKey('plain prompt', 5), 'plain');
  assert.equal(affinityKey('anything', 0), null, 'affinity off');
  assert.equal(affinityKey([], 64), null);
});

test('API keys: an id to find the record, a hash to compare in constant time, Bearer parsing', () => {
  const key = formatApiKey('a1b2c3d4e5f6', 'S'.repeat(43));
  assert.equal(apiKeyId(key), 'a1b2c3d4e5f6');
  assert.equal(apiKeyId('sk-openai-style'), null);
  assert.ok(sameHash(hashApiKey(key), hashApiKey(key)));
  assert.ok(!sameHash(hashApiKey(key), hashApiKey(`${key}x`)));
  assert.ok(!sameHash('', ''));
  assert.equal(bearerToken(`Bearer ${key}`), key);
  assert.equal(bearerToken('Basic abc'), null);
  assert.equal(bearerToken(undefined), null);
});
