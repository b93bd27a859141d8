import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { callContext, openCore, type Core } from '../../main/app/core.js';
import type { CallInput, CallName, CallOutput } from '../../shared/contract/index.js';
import { runOutpost } from '../helpers/cli.js';
import { commonFreePort, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { tempDir } from '../helpers/temp.js';
import { startSimulatedSite } from '../fixtures/simulated-site/simulated-site.js';

const FIRST = 110; // the setup slice's loopback block: 127.0.0.110–129
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

async function call<K extends CallName>(core: Core, name: K, input: CallInput<K>): Promise<CallOutput<K>> {
  const envelope = await core.dispatcher.invoke(name, input, callContext('cli'));
  if (!envelope.ok) throw Object.assign(new Error(envelope.error.message), envelope.error);
  return envelope.result as CallOutput<K>;
}

test('the first visit resumes after a restart at the step the services say, a confirmation kept in the journal', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  let core = openCore({ dataDir });
  assert.equal((await call(core, 'setup.state', {})).current, 'identity');
  const identity = await call(core, 'identity.init', { siteId: 'site-setup' });
  await call(core, 'setup.confirm', { step: 'ssh-key', fingerprint: identity.sshKey.fingerprint });
  core.close();
  core = openCore({ dataDir });
  t.after(() => core.close());
  const state = await call(core, 'setup.state', {});
  assert.equal(state.current, 'hq-trust');
  assert.equal(state.needed, true);
  assert.deepEqual(
    state.steps.filter((s) => s.done).map((s) => s.id),
    ['identity', 'ssh-key'],
  );
});

test('the authorized_keys line lets the site in; a re-keyed host accepted is probed again at once and its inventory stored', { skip: unavailable, timeout: 90_000 }, async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const core = openCore({ dataDir });
  t.after(() => core.close());
  await call(core, 'identity.init', { siteId: 'site-reprobe' });
  const key = await call(core, 'identity.sshPublicKey', {});
  assert.match(key.authorizedKeysLine, /^restrict,port-forwarding ssh-ed25519 \S+ outpost@site-reprobe$/);
  const port = await commonFreePort([`127.0.0.${FIRST}`], process.pid + 7);
  // The hosts hold exactly the line the window shows: the restricted key must be enough for the probe.
  const site = await startSimulatedSite({ profiles: ['cpu-box'], authorizedKey: key.authorizedKeysLine, firstAddress: FIRST, port });
  t.after(() => site.stop());
  const host = site.hosts[0];
  assert.ok(host);
  const first = await call(core, 'discovery.scan', { targets: `${host.sshd.address}:${port}`, user: site.user });
  assert.equal(first.hosts[0]?.outcome, 'inventoried', first.hosts[0]?.reason ?? '');
  const name = first.hosts[0]?.node ?? '';

  const { hostKeyFingerprint } = await host.sshd.replaceHostKey();
  const models = path.join(host.root, `fs/home/${site.user}/models`);
  fs.mkdirSync(models, { recursive: true });
  fs.writeFileSync(path.join(models, 'added-after-rekey.gguf'), 'GGUF\x03\0\0\0 new');
  const refused = await call(core, 'discovery.scan', { targets: `${host.sshd.address}:${port}`, user: site.user });
  assert.equal(refused.hosts[0]?.outcome, 'host-key-changed');
  const review = (await call(core, 'setup.state', {})).steps.find((s) => s.id === 'host-keys');
  assert.match(review?.detail ?? '', new RegExp(`${name} presented a changed host key`));

  const accepted = await call(core, 'discovery.acceptHostKey', { node: name });
  assert.equal(accepted.fingerprint, hostKeyFingerprint);
  assert.equal(accepted.reprobe?.outcome, 'inventoried', accepted.reprobe?.reason ?? '');
  const node = (await call(core, 'discovery.nodes', {})).find((n) => n.name === name);
  assert.equal(node?.hostKey?.offered, null);
  assert.equal(node?.hostKey?.fingerprint, hostKeyFingerprint);
  assert.ok(
    node?.inventory.modelFiles.some((f) => f.path.endsWith('added-after-rekey.gguf')),
    'the inventory is the one probed after the accept',
  );
  const journal = await call(core, 'system.journal', { limit: 10 });
  assert.ok(journal.some((e) => e.action === 'discovery.acceptHostKey' && e.outcome === 'ok'));
});

test('the CLI: the authorized_keys line, the first visit steps, and trust remove asking first (--yes without a terminal)', async (t) => {
  const root = tempDir(t);
  const site = path.join(root, 'site');
  const hq = path.join(root, 'hq');
  const ok = async (dataDir: string, ...args: string[]) => {
    const result = await runOutpost(['--data-dir', dataDir, ...args]);
    assert.equal(result.code, 0, `outpost ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  await ok(site, 'keys', 'init', '--site-id', 'clinic-cli');
  assert.match(await ok(site, 'keys', 'authorized-key'), /^restrict,port-forwarding ssh-ed25519 \S+ outpost@clinic-cli\n$/);
  assert.match(await ok(site, 'setup'), /✓ 1\. Create the site identity: site clinic-cli\n→ 2\. Put the site's SSH key on the hosts/);
  await ok(hq, 'keys', 'init', '--role', 'hq', '--site-id', 'hq-main');
  await ok(hq, 'trust', 'export', '--out', path.join(root, 'hq.json'));
  await ok(site, 'trust', 'add', path.join(root, 'hq.json'), '--yes');

  const asked = await runOutpost(['--data-dir', site, 'trust', 'remove', 'hq-main']);
  assert.equal(asked.code, 1);
  assert.match(asked.stderr, /removing a trusted peer needs a confirmation and there is no terminal to ask on — run again with --yes/);
  assert.match(await ok(site, 'trust', 'list'), /hq-main/);
  assert.match(await ok(site, 'trust', 'remove', 'hq-main', '--yes'), /hq-main is no longer trusted/);
  const self = await runOutpost(['--data-dir', site, 'trust', 'remove', 'clinic-cli', '--yes']);
  assert.equal(self.code, 1);
  assert.match(self.stderr, /clinic-cli is this installation itself, not a trusted peer/);
});
