import assert from 'node:assert/strict';
import test from 'node:test';
import { quantOfFileName, smallerQuantSiblings } from './quant-siblings.js';

test("a GGUF file's quantisation is read from its name as llama.cpp names it", () => {
  assert.deepEqual(quantOfFileName('/m/Llama-3.1-8B-Instruct-Q8_0.gguf'), { base: 'llama-3.1-8b-instruct', quant: 'Q8_0' });
  assert.deepEqual(quantOfFileName('/m/mistral.Q4_K_M.gguf'), { base: 'mistral', quant: 'Q4_K_M' });
  assert.equal(quantOfFileName('/m/notes.gguf'), null);
});

test('smaller quantisations of the same model only, largest first', () => {
  const files = [
    { node: 'a', path: '/m/llama-3.1-8b-instruct-Q2_K.gguf' },
    { node: 'a', path: '/m/llama-3.1-8b-instruct-Q8_0.gguf' },
    { node: 'b', path: '/x/Llama-3.1-8B-Instruct-Q4_K_M.gguf' },
    { node: 'b', path: '/x/qwen2.5-7b-Q3_K_M.gguf' },
    { node: 'b', path: '/x/llama-3.1-8b-instruct-IQ2_XXS.gguf' },
  ];
  assert.deepEqual(
    smallerQuantSiblings('/home/u/llama-3.1-8b-instruct-Q8_0.gguf', 8.5, files).map((f) => `${f.node}:${f.path}`),
    ['b:/x/Llama-3.1-8B-Instruct-Q4_K_M.gguf', 'a:/m/llama-3.1-8b-instruct-Q2_K.gguf'],
  );
  assert.deepEqual(smallerQuantSiblings('/home/u/notes.gguf', 8.5, files), []);
  // A file measures a little above its catalog figure: it is still not smaller than itself.
  assert.deepEqual(
    smallerQuantSiblings('/m/llama-3.1-8b-instruct-Q8_0.gguf', 8.6, files).map((f) => f.path),
    ['/x/Llama-3.1-8B-Instruct-Q4_K_M.gguf', '/m/llama-3.1-8b-instruct-Q2_K.gguf'],
  );
});
