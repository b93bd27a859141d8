import assert from 'node:assert/strict';
import test from 'node:test';
import { SshFailure, type SshConnectOptions } from './connect.js';
import type { HostKeyIdentity } from './host-key.js';
import { PinnedSsh, sshFailureOf, type NodeEndpoint } from './pinned.js';
import type { SshSession } from './session.js';

const PIN = { keyType: 'ssh-ed25519', fingerprint: 'SHA256:pinned' };
const NEW = { keyType: 'ssh-ed25519', fingerprint: 'SHA256:new' };

function pinned(failure: SshFailure | null) {
  const offered: Array<{ address: string; port: number; key: HostKeyIdentity; at: string }> = [];
  const attempts: SshConnectOptions[] = [];
  const node: NodeEndpoint = { name: 'gpu-1', address: '10.0.0.1', port: 22, login: { user: 'ops', keyPath: null }, pin: PIN, offered: null };
  const ssh = new PinnedSsh({
    pins: { pinFor: (address) => (address === '10.0.0.1' ? PIN : null), recordOfferedKey: (address, port, key, at) => void offered.push({ address, port, key, at }) },
    nodes: { endpoint: (name) => (name === 'gpu-1' ? node : null) },
    readPrivateKey: (path) => Buffer.from(`key:${path ?? 'site'}`),
    now: () => new Date('2026-11-25T01:00:00.000Z'),
    openSession: async (options) => {
      attempts.push(options);
      if (failure) throw failure;
      return { hostKey: options.pin ?? NEW } as unknown as SshSession;
    },
  });
  return { ssh, offered, attempts };
}

test('a host reached by address is checked against its pin, or trusted on first use when it has none', async () => {
  const { ssh, attempts } = pinned(null);
  await ssh.openAddress({ address: '10.0.0.1', port: 22, user: 'ops', privateKey: Buffer.from('k') }, { timeoutMs: 1000 });
  await ssh.openAddress({ address: '10.0.0.9', port: 22, user: 'ops', privateKey: Buffer.from('k') }, { timeoutMs: 1000 });
  assert.deepEqual(
    attempts.map((a) => a.pin),
    [PIN, null],
  );
});

test("a workers login overrides the stored one; the pin is the node's", async () => {
  const { ssh } = pinned(null);
  const endpoint = ssh.resolve('gpu-1', { user: 'llm', privateKey: Buffer.from('mine') });
  assert.deepEqual({ ...endpoint, privateKey: endpoint.privateKey.toString() }, { node: 'gpu-1', address: '10.0.0.1', port: 22, pin: PIN, user: 'llm', privateKey: 'mine' });
  assert.equal(ssh.resolve('gpu-1').privateKey.toString(), 'key:site');
});

test('a changed key met by name or by address is recorded as offered and is one CONFLICT naming `hostkey accept`', async () => {
  const { ssh, offered } = pinned(new SshFailure('host-key-changed', 'the host presented ssh-ed25519 SHA256:new', NEW));
  for (const attempt of [() => ssh.open('gpu-1', { timeoutMs: 1000 }), () => ssh.openAddress({ address: '10.0.0.1', port: 22, user: 'ops', privateKey: Buffer.from('k') }, { timeoutMs: 1000 })]) {
    const error = await attempt().then(
      () => assert.fail('connected to a changed host'),
      (e: unknown) => e,
    );
    assert.equal((error as { code?: string }).code, 'CONFLICT');
    assert.match((error as Error).message, /host key changed: the host presented ssh-ed25519 SHA256:new; nothing was run on it/);
    assert.match((error as { hint?: string }).hint ?? '', /outpost hostkey accept (gpu-1|10\.0\.0\.1:22)/);
    assert.equal(sshFailureOf(error)?.kind, 'host-key-changed');
  }
  assert.deepEqual(
    offered.map((o) => [o.address, o.port, o.key.fingerprint, o.at]),
    [
      ['10.0.0.1', 22, 'SHA256:new', '2026-11-25T01:00:00.000Z'],
      ['10.0.0.1', 22, 'SHA256:new', '2026-11-25T01:00:00.000Z'],
    ],
  );
});

test('other failures are UNAVAILABLE naming the host and the kind; a cancel passes through as it is', async () => {
  const { ssh, offered } = pinned(new SshFailure('timeout', 'no SSH handshake within 1000 ms'));
  await assert.rejects(ssh.open('gpu-1', { timeoutMs: 1000 }), { code: 'UNAVAILABLE', message: /cannot reach gpu-1 over SSH \(timeout\): no SSH handshake/ });
  assert.equal(offered.length, 0);
  const aborted = pinned(Object.assign(new Error('the operation was cancelled'), { name: 'AbortError' }) as SshFailure);
  await assert.rejects(aborted.ssh.open('gpu-1', { timeoutMs: 1000 }), { name: 'AbortError' });
});
