import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import { tempDir } from '../../test/helpers/temp.js';
import { openDatabase } from '../platform/store/index.js';
import { SiteRepository } from './adapters/site-repository.js';
import { PinnedSsh, SshFailure, type SshConnectOptions, type SshSession } from '../platform/ssh/index.js';
import { bareInventory } from '../../test/helpers/inventory.js';

const PIN = { keyType: 'ssh-ed25519', fingerprint: 'SHA256:pinned' };

function site(t: test.TestContext) {
  const db = openDatabase(path.join(tempDir(t), 'outpost.db'));
  t.after(() => db.close());
  const repository = new SiteRepository(db);
  repository.startScan('scan-1', 'x', '2026-11-25T00:00:00.000Z');
  const save = (address: string, hostname: string, keyPath: string | null) => repository.saveInventory({ scanId: 'scan-1', address, port: 22, hostKey: PIN, login: { user: 'ops', keyPath }, inventory: bareInventory(hostname), at: '2026-11-25T00:00:00.000Z' });
  save('10.0.0.1', 'gpu-1', '/keys/ops_ed25519');
  save('10.0.0.2', 'gpu-2', null);
  // A node stored before logins were kept.
  db.prepare("UPDATE nodes SET login_user = NULL WHERE name = 'gpu-2'").run();
  const attempts: SshConnectOptions[] = [];
  let failure: SshFailure | null = null;
  // The site repository is the pin store and node directory every pinned SSH session is checked against.
  const sessions = new PinnedSsh({
    pins: repository,
    nodes: repository,
    readPrivateKey: (keyPath) => Buffer.from(`key:${keyPath ?? 'site'}`),
    openSession: async (options) => {
      attempts.push(options);
      if (failure) throw failure;
      return { hostKey: PIN } as unknown as SshSession;
    },
    now: () => new Date('2026-11-25T01:00:00.000Z'),
  });
  return { repository, sessions, attempts, failWith: (f: SshFailure | null) => void (failure = f) };
}

test('a stored node is reached as the login that inventoried it, with its pin, and nodes list that login', async (t) => {
  const { repository, sessions, attempts } = site(t);
  await sessions.open('gpu-1', { timeoutMs: 1000 });
  assert.equal(attempts.length, 1);
  assert.deepEqual({ address: attempts[0]?.address, port: attempts[0]?.port, user: attempts[0]?.user, pin: attempts[0]?.pin, key: attempts[0]?.privateKey.toString() }, { address: '10.0.0.1', port: 22, user: 'ops', pin: PIN, key: 'key:/keys/ops_ed25519' });
  assert.deepEqual(repository.nodes().find((n) => n.name === 'gpu-1')?.login, { user: 'ops', keyPath: '/keys/ops_ed25519' });
});

test('unknown nodes, nodes without a login and nodes with an offered key are refused before connecting', async (t) => {
  const { repository, sessions, attempts } = site(t);
  await assert.rejects(sessions.open('gpu-9', { timeoutMs: 1000 }), { code: 'NOT_FOUND', message: /there is no node named "gpu-9"/ });
  await assert.rejects(sessions.open('gpu-2', { timeoutMs: 1000 }), { code: 'PRECONDITION', message: /gpu-2 was inventoried before Outpost kept logins/ });
  repository.recordOfferedKey('10.0.0.1', 22, { keyType: 'ssh-ed25519', fingerprint: 'SHA256:other' }, '2026-11-25T00:30:00.000Z');
  await assert.rejects(sessions.open('gpu-1', { timeoutMs: 1000 }), { code: 'CONFLICT', message: /presented a host key \(SHA256:other\) different from its pin \(SHA256:pinned\)/ });
  assert.equal(attempts.length, 0, 'no connection was even attempted');
});

test('a host key change met on connect is kept as offered and refused; other SSH failures say what failed', async (t) => {
  const { repository, sessions, failWith } = site(t);
  failWith(new SshFailure('auth-failed', 'the host refused user "ops" with this key'));
  await assert.rejects(sessions.open('gpu-1', { timeoutMs: 1000 }), { code: 'UNAVAILABLE', message: /cannot reach gpu-1 over SSH \(auth-failed\)/ });
  failWith(new SshFailure('host-key-changed', 'the host presented ssh-ed25519 SHA256:new', { keyType: 'ssh-ed25519', fingerprint: 'SHA256:new' }));
  await assert.rejects(sessions.open('gpu-1', { timeoutMs: 1000 }), { code: 'CONFLICT', message: /gpu-1's host key changed/ });
  assert.equal(repository.nodes().find((n) => n.name === 'gpu-1')?.hostKey?.offered?.fingerprint, 'SHA256:new');
});
