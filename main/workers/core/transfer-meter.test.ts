import assert from 'node:assert/strict';
import test from 'node:test';
import { describeTransfer, TransferMeter, type TransferReading } from './transfer-meter.js';

const MB = 1e6;

test('a copy reports bytes, MB/s over the last seconds and the time left, at most twice a second', () => {
  const meter = new TransferMeter(1000 * MB, 0, 0);
  assert.equal(meter.record(100, 10 * MB)?.bytesPerSecond, 100 * MB, 'the first reading reports');
  assert.equal(meter.record(300, 30 * MB), null, 'within 500 ms of the last report: held back');
  const steady = meter.record(1000, 100 * MB);
  assert.deepEqual(steady, { doneBytes: 100 * MB, totalBytes: 1000 * MB, bytesPerSecond: 100 * MB, etaSeconds: 9, resumedFromBytes: 0 });
  // The link slows to 10 MB/s: after the 5 s window has passed, the pace and the ETA follow it.
  let at = 1000;
  let done = 100 * MB;
  let last: TransferReading | null = steady;
  for (let i = 0; i < 8; i++) {
    at += 1000;
    done += 10 * MB;
    last = meter.record(at, done) ?? last;
  }
  assert.ok(last && Math.abs((last.bytesPerSecond as number) - 10 * MB) < 1, `pace ${last?.bytesPerSecond}`);
  assert.ok(last && Math.abs((last.etaSeconds as number) - 82) < 0.01, `eta ${last?.etaSeconds}`);
  const end = meter.record(at + 10, 1000 * MB);
  assert.equal(end?.etaSeconds, 0, 'the last byte always reports, with nothing left');
});

test('a resumed copy counts only the bytes it moved toward its pace', () => {
  const meter = new TransferMeter(100 * MB, 60 * MB, 0);
  const reading = meter.record(2000, 80 * MB);
  assert.deepEqual(reading, { doneBytes: 80 * MB, totalBytes: 100 * MB, bytesPerSecond: 10 * MB, etaSeconds: 2, resumedFromBytes: 60 * MB });
});

test('a reading at the start has no pace and no ETA rather than a made-up one', () => {
  const reading = new TransferMeter(100 * MB, 0, 500).record(500, 0);
  assert.deepEqual({ rate: reading?.bytesPerSecond, eta: reading?.etaSeconds }, { rate: null, eta: null });
});

test('a copy reads as done/total, MB/s and time left', () => {
  assert.equal(describeTransfer({ doneBytes: 312e6, totalBytes: 1024e6, bytesPerSecond: 231e6, etaSeconds: 3.1, resumedFromBytes: 0 }), '312/1024 MB, 231 MB/s, 4 s left');
  assert.equal(describeTransfer({ doneBytes: 12.5e9, totalBytes: 40e9, bytesPerSecond: 2.5e6, etaSeconds: 11000, resumedFromBytes: 0 }), '12.5/40.0 GB, 2.5 MB/s, 3 h 3 min left');
  assert.equal(describeTransfer({ doneBytes: 0, totalBytes: 40e9, bytesPerSecond: null, etaSeconds: null, resumedFromBytes: 0 }), '0.0/40.0 GB');
  assert.equal(describeTransfer({ doneBytes: 0.4e6, totalBytes: 0.4e6, bytesPerSecond: 77e6, etaSeconds: 0, resumedFromBytes: 0 }), '0.4/0.4 MB, 77 MB/s');
});
