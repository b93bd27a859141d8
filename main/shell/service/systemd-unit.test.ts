import assert from 'node:assert/strict';
import test from 'node:test';
import { isOutpostError } from '../../../shared/errors.js';
import { quoteExecWord, quotePathWord, readUnitFacts, renderUnit, unitName, type UnitSpec } from './systemd-unit.js';

const spec = (over: Partial<UnitSpec> = {}): UnitSpec => ({ scope: 'user', dataDir: '/home/ops/.local/share/outpost', node: '/usr/bin/node', cliEntry: '/opt/outpost/bin/outpost.js', ...over });
const lines = (text: string) => text.split('\n');

test('the default data dir has outpost.service; any other its own name from a digest of its resolved path', () => {
  assert.equal(unitName('/home/ops/.local/share/outpost', '/home/ops/.local/share/outpost'), 'outpost.service');
  assert.equal(unitName('/home/ops/.local/share/outpost/', '/home/ops/.local/share/outpost'), 'outpost.service');
  const other = unitName('/srv/outpost', '/home/ops/.local/share/outpost');
  assert.match(other, /^outpost-[0-9a-f]{8}\.service$/);
  assert.equal(unitName('/srv/./outpost', '/root/.local/share/outpost'), other, 'the same data dir, however it is written');
  assert.notEqual(unitName('/srv/outpost-2', '/home/ops/.local/share/outpost'), other);
});

test('a word of ExecStart= is quoted by systemd’s rules: \\ and " escaped, % and $ doubled; a line break refused', () => {
  assert.equal(quoteExecWord('/srv/out post'), '"/srv/out post"');
  assert.equal(quoteExecWord('/srv/50%/$HOME\\x"y'), '"/srv/50%%/$$HOME\\\\x\\"y"');
  assert.equal(quotePathWord('/srv/50%/$HOME'), '"/srv/50%%/$HOME"', 'a path list expands specifiers, not variables');
  for (const bad of ['/srv/a\nb', '/srv/a\rb']) {
    assert.throws(
      () => quoteExecWord(bad),
      (e: unknown) => isOutpostError(e) && e.code === 'INVALID_INPUT',
    );
  }
  assert.throws(
    () => renderUnit(spec({ dataDir: '/srv/a\nExecStartPre=/bin/sh' })),
    (e: unknown) => isOutpostError(e) && /line break/.test(e.message),
  );
});

test('a --user unit: the service run in the foreground of systemd, restarted on failure, hardened, wanted by default.target', () => {
  const text = renderUnit(spec());
  const unit = lines(text);
  for (const line of [
    'After=network-online.target',
    'ExecStart="/usr/bin/node" "/opt/outpost/bin/outpost.js" "--data-dir" "/home/ops/.local/share/outpost" "service" "run"',
    'Restart=on-failure',
    'RestartSec=2',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    'ReadWritePaths="/home/ops/.local/share/outpost"',
    'PrivateTmp=yes',
    'WantedBy=default.target',
  ]) {
    assert.ok(unit.includes(line), line);
  }
  assert.ok(!unit.some((l) => l.startsWith('User=')), 'a user unit runs as its login');
  assert.ok(!lines(renderUnit(spec({ dataDir: '/tmp/site' }))).includes('PrivateTmp=yes'), 'a data dir in /tmp stays visible');
  assert.ok(!unit.some((l) => l.startsWith('Environment=')), 'no settings were given');
});

test('a --system unit runs as the data dir’s owner, starts at boot and carries the given settings', () => {
  const unit = lines(renderUnit(spec({ scope: 'system', user: 'ops', environment: { OUTPOST_ROUTER_PORT: '9000', OUTPOST_ROUTER_HOST: '10.0.0.5' } })));
  assert.ok(unit.includes('User=ops'));
  assert.ok(unit.includes('WantedBy=multi-user.target'));
  assert.ok(unit.includes('Environment="OUTPOST_ROUTER_PORT=9000"'));
  assert.ok(unit.includes('Environment="OUTPOST_ROUTER_HOST=10.0.0.5"'));
  assert.throws(
    () => renderUnit(spec({ environment: { OUTPOST_ROUTER_HOST: 'a"b' } })),
    (e: unknown) => isOutpostError(e) && e.code === 'INVALID_INPUT',
  );
  assert.throws(
    () => renderUnit(spec({ scope: 'system', user: 'o ps' })),
    (e: unknown) => isOutpostError(e) && e.code === 'INVALID_INPUT',
  );
});

test('the header’s digest tells a unit as written from one edited by hand, and the unit names its data dir', () => {
  const text = renderUnit(spec({ dataDir: '/srv/50% full' }));
  assert.deepEqual(readUnitFacts(text), { ours: true, dataDir: '/srv/50% full' });
  assert.equal(readUnitFacts(text.replace('RestartSec=2', 'RestartSec=5')).ours, false, 'an edited line');
  assert.equal(readUnitFacts(`${text}# my note\n`).ours, false, 'an added line');
  assert.equal(readUnitFacts(text.split('\n').slice(1).join('\n')).ours, false, 'no digest at all');
  assert.equal(readUnitFacts('[Service]\nExecStart=/bin/true\n').dataDir, null);
});
