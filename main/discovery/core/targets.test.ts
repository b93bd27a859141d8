import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutpostError } from '../../../shared/errors.js';
import { parseTargets } from './targets.js';

const refused = (text: string, pattern: RegExp): void => {
  assert.throws(
    () => parseTargets(text, 22),
    (error: unknown) => error instanceof OutpostError && error.code === 'INVALID_INPUT' && pattern.test(error.message) && (error.hint ?? '').length > 0,
    text,
  );
};

test('a /24 expands to its 254 hosts, without network and broadcast addresses', () => {
  const targets = parseTargets('10.1.2.77/24', 22);
  assert.equal(targets.length, 254);
  assert.deepEqual(targets[0], { address: '10.1.2.1', port: 22, explicit: false });
  assert.equal(targets.at(-1)?.address, '10.1.2.254');
});

test('a /16 is the widest range accepted; /32 and /31 keep every address', () => {
  assert.equal(parseTargets('172.16.0.0/16', 22).length, 65534);
  assert.deepEqual(
    parseTargets('10.0.0.9/32', 22).map((t) => t.address),
    ['10.0.0.9'],
  );
  assert.deepEqual(
    parseTargets('10.0.0.8/31', 22).map((t) => t.address),
    ['10.0.0.8', '10.0.0.9'],
  );
});

test('hosts, host:port and ranges mix in one list; duplicates are dropped; named hosts are explicit', () => {
  const targets = parseTargets('gpu-7.lab, 10.0.0.5:2222,10.0.0.5:2222 10.0.0.4/30', 2200);
  assert.deepEqual(targets, [
    { address: 'gpu-7.lab', port: 2200, explicit: true },
    { address: '10.0.0.5', port: 2222, explicit: true },
    { address: '10.0.0.5', port: 2200, explicit: false },
    { address: '10.0.0.6', port: 2200, explicit: false },
  ]);
});

test('bad targets are refused with what was wrong, before anything is scanned', () => {
  refused('10.0.0.0/33', /prefix \/33/);
  refused('10.0.0.0/15', /wider than a \/16/);
  refused('0.0.0.0/0', /wider than a \/16/);
  refused('host:99999', /port 99999, outside 1–65535/);
  refused('host:0', /port 0/);
  refused('host:', /port/);
  refused('', /no targets/);
  refused(' , ', /no targets/);
  refused('10.0.0.256', /not a valid IPv4 address/);
  refused('300.1.1.1/24', /not an IPv4 range/);
  refused('fe80::1', /IPv6/);
  refused('$(reboot)', /neither an address, a range nor a host name/);
  refused('a;b', /neither/);
});
