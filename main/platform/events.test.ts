import assert from 'node:assert/strict';
import test from 'node:test';
import type { EventMessage } from '../../shared/contract/index.js';
import { EventHub, type EventLimits } from './events.js';
import type { Logger } from './log.js';

const silent: Logger = { info: () => undefined, error: () => undefined };
const tick = (hub: EventHub, ts: number): void => hub.emit('telemetry.tick', { ts, samples: 1, sources: 1 });
const ticks = (messages: EventMessage[]): number[] => messages.map((m) => (m.payload as { ts: number }).ts);
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function hubWith(limits?: EventLimits): EventHub {
  return new EventHub(silent, limits);
}

test('events carry rising sequence numbers and reach live subscribers in order', () => {
  const hub = hubWith();
  const seen: EventMessage[] = [];
  const unsubscribe = hub.subscribe((m) => seen.push(m));
  for (const ts of [1, 2, 3]) tick(hub, ts);
  assert.deepEqual(ticks(seen), [1, 2, 3]);
  assert.deepEqual(
    seen.map((m) => m.seq),
    [1, 2, 3],
  );
  assert.equal(hub.lastSeq, 3);
  assert.ok(seen.every((m) => m.missed === undefined));
  unsubscribe();
  tick(hub, 4);
  assert.equal(seen.length, 3, 'nothing after unsubscribe');
});

test('a live subscription sees nothing emitted before it', () => {
  const hub = hubWith();
  tick(hub, 1);
  const seen: EventMessage[] = [];
  hub.subscribe((m) => seen.push(m));
  tick(hub, 2);
  assert.deepEqual(ticks(seen), [2]);
});

test('a first subscription (after 0) gets the backlog since the start, then live events, in order', async () => {
  const hub = hubWith();
  for (const ts of [1, 2]) tick(hub, ts);
  const seen: EventMessage[] = [];
  hub.open((m) => seen.push(m), { after: 0 });
  assert.equal(seen.length, 0, 'held events come from a microtask, never inside open()');
  tick(hub, 3);
  await settled();
  tick(hub, 4);
  assert.deepEqual(ticks(seen), [1, 2, 3, 4]);
  assert.ok(seen.every((m) => m.missed === undefined));
});

test('a reconnect after a sequence number gets only the newer events', async () => {
  const hub = hubWith();
  for (const ts of [1, 2, 3, 4]) tick(hub, ts);
  const seen: EventMessage[] = [];
  hub.open((m) => seen.push(m), { after: 2 });
  await settled();
  assert.deepEqual(
    seen.map((m) => m.seq),
    [3, 4],
  );
  const current: EventMessage[] = [];
  hub.open((m) => current.push(m), { after: 4 });
  await settled();
  assert.deepEqual(current, [], 'up to date: nothing to replay');
});

test('a sequence number from another run of the core replays the whole backlog', async () => {
  const hub = hubWith();
  tick(hub, 1);
  const seen: EventMessage[] = [];
  hub.open((m) => seen.push(m), { after: 999 });
  await settled();
  assert.deepEqual(ticks(seen), [1]);
});

test('the backlog is bounded by count, drops the oldest, and a late subscriber is told how many it missed', async () => {
  const hub = hubWith({ events: 3, bytes: 1 << 20 });
  for (let ts = 1; ts <= 10; ts++) tick(hub, ts);
  const seen: EventMessage[] = [];
  hub.open((m) => seen.push(m), { after: 0 });
  await settled();
  assert.deepEqual(ticks(seen), [8, 9, 10]);
  assert.equal(seen[0]?.missed, 7, 'events 1–7 were dropped before it subscribed');
  assert.equal(seen[1]?.missed, undefined);
  const resumed: EventMessage[] = [];
  hub.open((m) => resumed.push(m), { after: 5 });
  await settled();
  assert.deepEqual([resumed[0]?.seq, resumed[0]?.missed], [8, 2]);
});

test('the backlog is bounded by size too, and always keeps the newest event', async () => {
  const one = Buffer.byteLength(JSON.stringify({ name: 'telemetry.tick', payload: { ts: 1, samples: 1, sources: 1 }, at: new Date().toISOString(), seq: 1 }));
  const hub = hubWith({ events: 100, bytes: one * 2 + 1 });
  for (let ts = 1; ts <= 5; ts++) tick(hub, ts);
  const seen: EventMessage[] = [];
  hub.open((m) => seen.push(m), { after: 0 });
  await settled();
  assert.deepEqual(ticks(seen), [4, 5]);
  const tiny = hubWith({ events: 100, bytes: 1 });
  tick(tiny, 1);
  tick(tiny, 2);
  const last: EventMessage[] = [];
  tiny.open((m) => last.push(m), { after: 0 });
  await settled();
  assert.deepEqual([ticks(last), last[0]?.missed], [[2], 1]);
});

test("a paused subscriber's queue is bounded; on resume it gets the newest in order and is told what it lost", () => {
  const hub = hubWith({ events: 3, bytes: 1 << 20 });
  const slow: EventMessage[] = [];
  const fast: EventMessage[] = [];
  const stream = hub.open((m) => slow.push(m));
  hub.subscribe((m) => fast.push(m));
  stream.pause();
  for (let ts = 1; ts <= 5; ts++) tick(hub, ts);
  assert.equal(slow.length, 0);
  assert.equal(fast.length, 5, 'one slow subscriber holds up no other');
  stream.resume();
  assert.deepEqual(ticks(slow), [3, 4, 5]);
  assert.deepEqual(
    slow.map((m) => m.missed),
    [2, undefined, undefined],
  );
  tick(hub, 6);
  assert.deepEqual(ticks(slow), [3, 4, 5, 6]);
  stream.close();
  tick(hub, 7);
  assert.equal(slow.length, 4);
});

test('an event emitted from inside a listener is delivered after the current one, in order', () => {
  const hub = hubWith();
  const seen: number[] = [];
  hub.subscribe((m) => {
    const ts = (m.payload as { ts: number }).ts;
    seen.push(ts);
    if (ts === 1) tick(hub, 2);
  });
  tick(hub, 1);
  tick(hub, 3);
  assert.deepEqual(seen, [1, 2, 3]);
});

test('a failing listener is logged and does not stop the others; a payload that breaks the contract is not sent', () => {
  const errors: string[] = [];
  const hub = new EventHub({ info: () => undefined, error: (message) => void errors.push(message) });
  const seen: EventMessage[] = [];
  hub.subscribe(() => {
    throw new Error('boom');
  });
  hub.subscribe((m) => seen.push(m));
  tick(hub, 1);
  hub.emit('telemetry.tick', { ts: 1.5, samples: -1, sources: 0 });
  assert.equal(seen.length, 1);
  assert.deepEqual(errors, ['an event listener failed', 'an event did not match its declared payload']);
  assert.equal(hub.lastSeq, 1, 'a refused event takes no sequence number');
});
