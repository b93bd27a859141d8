import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamTranscript } from './stream-transcript.js';

const chatEvent = (delta: Record<string, unknown>, finish: string | null = null) => `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 7, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

test("a chat stream's text, tokens and identity, read as it passes, whatever the reads' boundaries", () => {
  const stream = [chatEvent({ role: 'assistant', content: null }), chatEvent({ content: 'Hel' }), chatEvent({ content: 'lo "you"\\n' }), chatEvent({ content: ' é' })].join('');
  const bytes = Buffer.from(stream);
  for (const step of [bytes.length, 1, 7, 64]) {
    const transcript = new StreamTranscript('chat');
    for (let at = 0; at < bytes.length; at += step) assert.equal(transcript.read(bytes.subarray(at, at + step)), null);
    assert.equal(transcript.text, 'Hello "you"\\n é', `reads of ${step} bytes`);
    assert.equal(transcript.tokens, 3, 'the role-only delta carries no token');
    assert.deepEqual(transcript.identity, { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 7, model: 'm' });
    assert.equal(transcript.atEventBoundary, true);
    assert.equal(transcript.finished, false);
  }
});

test('where the client stands: inside an event, after a finish_reason, after [DONE]', () => {
  const transcript = new StreamTranscript('chat');
  transcript.read(Buffer.from(chatEvent({ content: 'a' }).slice(0, 20)));
  assert.equal(transcript.atEventBoundary, false, 'half an event');
  transcript.read(Buffer.from(chatEvent({ content: 'a' }).slice(20, -1)));
  assert.equal(transcript.atEventBoundary, false, 'the data line without its blank line');
  transcript.read(Buffer.from('\n'));
  assert.equal(transcript.atEventBoundary, true);
  transcript.read(Buffer.from(chatEvent({}, 'stop')));
  assert.equal(transcript.finished, true);
  transcript.read(Buffer.from('data: [DONE]\r\n\r\n'));
  assert.equal(transcript.done, true);
  assert.equal(transcript.text, 'a');
});

test("completions count `text`; a key inside a string is not a key; reasoning is not the answer's text", () => {
  const transcript = new StreamTranscript('text');
  transcript.read(Buffer.from(`data: {"choices":[{"text":"say \\"text\\": 1","index":0,"finish_reason":null}]}\n\n`));
  transcript.read(Buffer.from(`data: {"choices":[{"text":"","index":0,"finish_reason":null}]}\n\n`));
  assert.equal(transcript.text, 'say "text": 1');
  assert.equal(transcript.tokens, 1);
  const chat = new StreamTranscript('chat');
  chat.read(Buffer.from(`data: {"choices":[{"delta":{"reasoning_content":"hmm"}}]}\n\ndata: {"choices":[{"delta":{"content": "ok"}}]}\n\n`));
  assert.equal(chat.text, 'ok');
});

test('an error event is found where it starts, and nothing after it is read', () => {
  const first = chatEvent({ content: 'a' });
  const transcript = new StreamTranscript('chat');
  const error = 'data: {"error":{"code":500,"message":"boom"}}\n\n';
  assert.equal(transcript.read(Buffer.from(first + error + chatEvent({ content: 'b' }))), Buffer.byteLength(first));
  assert.match(transcript.errorEvent ?? '', /boom/);
  assert.equal(transcript.text, 'a');
  assert.equal(transcript.atEventBoundary, true, 'the client, given what came before it, is between events');
  const named = new StreamTranscript('chat');
  assert.equal(named.read(Buffer.from('event: error\ndata: {"message":"x"}\n\n')), 0);
  const split = new StreamTranscript('chat');
  assert.equal(split.read(Buffer.from('data: {"err')), null);
  assert.equal(split.read(Buffer.from('or":{}}\n\n')), -11, 'it began in an earlier read');
});

test('tool calls cannot be continued as text', () => {
  const transcript = new StreamTranscript('chat');
  transcript.read(Buffer.from(chatEvent({ content: null, tool_calls: null })));
  assert.equal(transcript.unsupported, null);
  transcript.read(Buffer.from(chatEvent({ tool_calls: [{ index: 0, function: { arguments: '{' } }] })));
  assert.match(transcript.unsupported ?? '', /tool calls/);
});
