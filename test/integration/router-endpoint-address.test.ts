import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import type { Endpoint } from '../../shared/domain/router.js';
import { runOutpost } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

test('`router endpoints add` refuses a link-local or metadata address without --allow-address, stores nothing, and accepts it once confirmed', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const run = (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args]);
  const stored = async (): Promise<Endpoint[]> => JSON.parse((await run('--json', 'router', 'endpoints', 'list')).stdout) as Endpoint[];

  assert.equal((await run('router', 'endpoints', 'add', 'lan', 'http://10.0.0.5:8080', '--models', 'tiny')).code, 0, 'a LAN address needs no flag');
  const before = await stored();

  for (const url of ['http://169.254.10.20:8080', 'http://0xA9FEA9FE/', 'http://[::ffff:169.254.169.254]/', 'http://[fe80::1]:8080']) {
    const refused = await run('router', 'endpoints', 'add', 'odd', url, '--models', 'tiny');
    assert.equal(refused.code, 1, url);
    assert.match(refused.stderr, /^outpost: endpoint odd: .* points at (169\.254\.|::ffff:a9fe:a9fe|fe80::1).* — if the server really is at .*, add it again with --allow-address\n$/, url);
  }
  const json = await run('--json', 'router', 'endpoints', 'add', 'odd', 'http://2852039166/', '--models', 'tiny');
  assert.equal(json.code, 1);
  assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'INVALID_INPUT');
  // The router reads its endpoints from the store, so an endpoint that is not stored is never probed.
  assert.deepEqual(await stored(), before);

  const confirmed = await run('router', 'endpoints', 'add', 'odd', 'http://169.254.10.20:8080', '--models', 'tiny', '--allow-address');
  assert.equal(confirmed.code, 0, confirmed.stderr);
  assert.deepEqual(
    (await stored()).map((e) => [e.name, e.url]),
    [
      ['lan', 'http://10.0.0.5:8080'],
      ['odd', 'http://169.254.10.20:8080'],
    ],
  );
});
