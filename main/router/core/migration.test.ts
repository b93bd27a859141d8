import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContinuationFramer, planContinuation, usageAcrossLegs } from './migration.js';
import { StreamTranscript, type CompletionKind } from './stream-transcript.js';

function transcriptOf(kind: CompletionKind, texts: string[]): StreamTranscript {
  const transcript = new StreamTranscript(kind);
  const event = (text: string) => (kind === 'chat' ? { id: 'first', created: 1, model: 'm', choices: [{ index: 0, delta: { content: text } }] } : { id: 'first', created: 1, model: 'm', choices: [{ index: 0, text }] });
  transcript.read(Buffer.from(texts.map((t) => `data: ${JSON.stringify(event(t))}\n\n`).join('')));
  return transcript;
}

const bodyOf = (plan: ReturnType<typeof planContinuation>) => (plan.kind === 'continue' ? (JSON.parse(plan.body.toString()) as Record<string, unknown>) : assert.fail(JSON.stringify(plan)));

test('a chat continuation: the text so far as a final assistant message, what is left of the limits, the rest unchanged', () => {
  const fields = { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, max_completion_tokens: 12, temperature: 0.3, top_p: 0.9, seed: 4, stream: true, stream_options: { include_usage: true }, x_custom: { a: 1 } };
  const body = bodyOf(planContinuation('chat', fields, transcriptOf('chat', ['He', 'llo'])));
  assert.deepEqual(body, { ...fields, messages: [...fields.messages, { role: 'assistant', content: 'Hello' }], max_tokens: 8, max_completion_tokens: 10 });
  const prefilled = {
    model: 'm',
    messages: [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Sure: ', name: 'bot' },
    ],
  };
  assert.deepEqual(bodyOf(planContinuation('chat', prefilled, transcriptOf('chat', ['ok']))).messages, [prefilled.messages[0], { role: 'assistant', content: 'Sure: ok', name: 'bot' }], "the client's own prefill grows");
  assert.deepEqual(bodyOf(planContinuation('chat', fields, new StreamTranscript('chat'))), fields, 'nothing said yet: the request as it was');
});

test('a completions continuation extends the prompt; what cannot be continued says why; a spent limit ends the stream', () => {
  assert.deepEqual(bodyOf(planContinuation('text', { model: 'm', prompt: 'Once', max_tokens: 3, echo: true }, transcriptOf('text', [' upon']))), { model: 'm', prompt: 'Once upon', max_tokens: 2, echo: false });
  assert.deepEqual(bodyOf(planContinuation('text', { model: 'm', prompt: ['Once'] }, transcriptOf('text', [' upon']))).prompt, ['Once upon']);
  const tokenIds = planContinuation('text', { model: 'm', prompt: [1, 2] }, transcriptOf('text', ['x']));
  assert.equal(tokenIds.kind === 'impossible' && /not a single text/.test(tokenIds.reason), true);
  assert.equal(planContinuation('chat', { model: 'm', messages: [], n: 2 }, transcriptOf('chat', ['x'])).kind, 'impossible');
  const spent = planContinuation('chat', { model: 'm', messages: [], max_tokens: 2 }, transcriptOf('chat', ['a', 'b']));
  assert.equal(spent.kind, 'complete');
  const events = spent.kind === 'complete' ? spent.events : '';
  assert.deepEqual(JSON.parse(events.split('\n\n')[0]?.slice(6) ?? ''), { id: 'first', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] });
  assert.match(events, /data: \[DONE\]\n\n$/);
});

test("a continuation's events read as the first stream's: its id, no second role, usage across both, one [DONE]", () => {
  const transcript = transcriptOf('chat', ['a', 'b', 'c']);
  const framer = new ContinuationFramer('chat', transcript);
  const second = (choices: unknown[], extra: Record<string, unknown> = {}) => `data: ${JSON.stringify({ id: 'second', created: 99, model: 'other', choices, ...extra })}\n\n`;
  const payload = [
    ': keep-alive comment\n\n',
    second([{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }]),
    second([{ index: 0, delta: { role: 'assistant', content: 'd' }, finish_reason: null }]),
    second([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    second([], { usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 } }),
    'data: [DONE]\r\n\r\n',
  ].join('');
  let out = '';
  for (let at = 0; at < payload.length; at += 9) {
    const { events, error } = framer.read(Buffer.from(payload.slice(at, at + 9)));
    assert.equal(error, null);
    out += events;
  }
  const events = out.split('\n\n').filter(Boolean);
  assert.equal(events.at(-1), 'data: [DONE]');
  const parsed = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as { id: string; created: number; model: string; choices: Array<{ delta: Record<string, unknown> }>; usage?: unknown });
  assert.deepEqual(
    parsed.map((e) => [e.id, e.created, e.model]),
    parsed.map(() => ['first', 1, 'm']),
  );
  assert.deepEqual(parsed[0]?.choices[0]?.delta, { content: 'd' }, 'the role-only delta is gone, and so is the role');
  assert.deepEqual(parsed.at(-1)?.usage, { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 });
  assert.equal(transcript.text, 'abcd');
  assert.equal(transcript.tokens, 4);
  assert.equal(transcript.finished && transcript.done, true);
});

test('a continuation that sends an error event stops there', () => {
  const framer = new ContinuationFramer('text', transcriptOf('text', ['a']));
  const { events, error } = framer.read(Buffer.from('data: {"choices":[{"text":"b"}]}\n\ndata: {"error":{"message":"boom"}}\n\ndata: {"choices":[{"text":"c"}]}\n\n'));
  assert.match(error ?? '', /boom/);
  assert.equal((JSON.parse(events.slice(6)) as { choices: Array<{ text: string }> }).choices[0]?.text, 'b');
  assert.deepEqual(framer.read(Buffer.from('data: {"choices":[{"text":"d"}]}\n\n')), { events: '', error: null });
  assert.deepEqual(usageAcrossLegs({ prompt_tokens: 'x' }, 3), { prompt_tokens: 'x' }, 'a usage it cannot read is left as it is');
});
