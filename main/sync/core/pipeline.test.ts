import assert from 'node:assert/strict';
import test from 'node:test';
import { pipelined } from './pipeline.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('results are used in input order while reads run ahead, and a slot is not read into while its write is pending', async () => {
  const items = Array.from({ length: 20 }, (_, i) => i);
  const slots = [-1, -1, -1];
  const writing = new Set<number>();
  const used: number[] = [];
  let maxAhead = 0;
  await pipelined(
    items,
    { slots: slots.length },
    async (item, slot) => {
      assert.ok(!writing.has(slot), `slot ${slot} is read into while a write still uses it`);
      // Later items finish reading first: order must still hold.
      for (let i = 0; i < 20 - item; i += 1) await tick();
      slots[slot] = item;
      maxAhead = Math.max(maxAhead, item - used.length);
      return slot;
    },
    (slot, item) => {
      assert.equal(slots[slot], item, 'the slot still holds the item it was read for');
      used.push(item);
      writing.add(slot);
      return (async () => {
        await tick();
        await tick();
        writing.delete(slot);
      })();
    },
  );
  assert.deepEqual(used, items);
  assert.ok(maxAhead >= 1 && maxAhead < slots.length, `read ${maxAhead} ahead with ${slots.length} slots`);
});

test('a failed read, a failed write or an abort stops the pipeline with that error, after what is in flight settles', async () => {
  const items = [1, 2, 3, 4, 5, 6];
  await assert.rejects(
    pipelined(
      items,
      { slots: 2 },
      async (i) => {
        if (i === 3) throw new Error('read 3 failed');
        return i;
      },
      () => undefined,
    ),
    /read 3 failed/,
  );
  let inFlight = 0;
  await assert.rejects(
    pipelined(
      items,
      { slots: 2 },
      async (i) => i,
      (i) => {
        inFlight += 1;
        return (async () => {
          await tick();
          inFlight -= 1;
          if (i === 2) throw new Error('write 2 failed');
        })();
      },
    ),
    /write 2 failed/,
  );
  assert.equal(inFlight, 0, 'no write is left running');
  const controller = new AbortController();
  const used: number[] = [];
  await assert.rejects(
    pipelined(
      items,
      { slots: 2, signal: controller.signal },
      async (i) => i,
      (i) => {
        used.push(i);
        if (i === 2) controller.abort();
      },
    ),
    { name: 'AbortError' },
  );
  assert.deepEqual(used, [1, 2]);
});
