import assert from 'node:assert/strict';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import WebSocket from 'ws';
import type { EventMessage } from '../../shared/contract/index.js';
import { startTestBridge } from '../helpers/bridge.js';
import { tempDir } from '../helpers/temp.js';

/** A page's event socket: every message it got, and a way to wait for a count of them. */
async function connect(t: TestContext, port: number, token: string, query = ''): Promise<{ ws: WebSocket; messages: EventMessage[]; until(count: number): Promise<void> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/events${query}`, ['outpost.events.v1', `outpost.token.${token}`], { origin: `http://127.0.0.1:${port}` });
  t.after(() => ws.close());
  const messages: EventMessage[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data: Buffer) => {
    messages.push(JSON.parse(data.toString()) as EventMessage);
    waiters.splice(0).forEach((wake) => wake());
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const until = async (count: number): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (messages.length < count) {
      if (Date.now() > deadline) throw new Error(`waited for ${count} event(s), got ${messages.length}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { ws, messages, until };
}

const tsOf = (m: EventMessage): number => (m.payload as { ts: number }).ts;

test('an event emitted before the page connects reaches it on connect; a reconnect after its last seq gets only newer ones', async (t) => {
  const { core, bridge } = await startTestBridge(t, path.join(tempDir(t), 'data'));
  const tick = (ts: number): void => core.events.emit('telemetry.tick', { ts, samples: 1, sources: 1 });
  tick(1);
  tick(2);

  const first = await connect(t, bridge.port, bridge.token);
  await first.until(2);
  tick(3);
  await first.until(3);
  const ticks = first.messages.filter((m) => m.name === 'telemetry.tick');
  assert.deepEqual(ticks.map(tsOf), [1, 2, 3], 'the backlog first, then live events, in order');
  const seqs = first.messages.map((m) => m.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
  );
  const lastSeen = seqs.at(-1) as number;
  first.ws.close();
  await new Promise((resolve) => first.ws.once('close', resolve));

  tick(4);
  tick(5);
  const again = await connect(t, bridge.port, bridge.token, `?after=${lastSeen}`);
  await again.until(2);
  tick(6);
  await again.until(3);
  assert.deepEqual(again.messages.map(tsOf), [4, 5, 6], 'only what came after the last event it saw');
  assert.ok(again.messages.every((m) => m.seq > lastSeen && m.missed === undefined));
});

test('a page that asks for events the backlog no longer holds is told how many it missed', async (t) => {
  const { core, bridge } = await startTestBridge(t, path.join(tempDir(t), 'data'));
  for (let ts = 1; ts <= 1100; ts++) core.events.emit('telemetry.tick', { ts, samples: 1, sources: 1 });
  const page = await connect(t, bridge.port, bridge.token, '?after=0');
  await page.until(1000);
  assert.equal(page.messages.length, 1000, 'the backlog holds the newest 1,000');
  assert.deepEqual([tsOf(page.messages[0] as EventMessage), page.messages[0]?.missed], [101, 100]);
  assert.equal(tsOf(page.messages.at(-1) as EventMessage), 1100);
});
