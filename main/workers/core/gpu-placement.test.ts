import assert from 'node:assert/strict';
import test from 'node:test';
import { gpuOrdinals } from './gpu-placement.js';

test("a stage runs on the node's GPU the planner meant: matched by catalog name, each GPU taken once, in index order", () => {
  const gpus = {
    x: [
      { index: 0, catalogName: 'A100-80GB' },
      { index: 1, catalogName: 'RTX-4090' },
      { index: 2, catalogName: 'RTX-4090' },
    ],
    y: [{ index: 0, catalogName: 'L4' }],
  };
  const of = (node: string) => gpus[node as keyof typeof gpus] ?? [];
  // The plan left the A100 out: its stages on x are the two 4090s, GPUs 1 and 2, not 0 and 1.
  assert.deepEqual(
    gpuOrdinals(
      [
        { node: 'x', gpu: 'RTX-4090' },
        { node: 'y', gpu: 'L4' },
        { node: 'x', gpu: 'RTX-4090' },
      ],
      of,
    ),
    [1, 0, 2],
  );
  assert.deepEqual(
    gpuOrdinals(
      [
        { node: 'x', gpu: 'RTX-4090' },
        { node: 'x', gpu: 'A100-80GB' },
      ],
      of,
    ),
    [1, 0],
  );
  assert.deepEqual(gpuOrdinals([{ node: 'y', gpu: 'CPU' }], of), [0]);
});

test("a plan from GPU names alone (nothing in the inventory matches) falls back to the rank among the node's GPU stages", () => {
  assert.deepEqual(
    gpuOrdinals(
      [
        { node: 'z', gpu: 'H100-80GB' },
        { node: 'z', gpu: 'CPU' },
        { node: 'z', gpu: 'H100-80GB' },
      ],
      () => [],
    ),
    [0, 0, 1],
  );
});
