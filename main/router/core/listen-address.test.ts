import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseUrls, effectiveListen, exposureWarning, listenProblems, overlaps, parseListenUrl, siteAddresses, type WorkstationAddress } from './listen-address.js';

const workstation: WorkstationAddress[] = [
  { address: '127.0.0.1', family: 'IPv4', internal: true },
  { address: '::1', family: 'IPv6', internal: true },
  { address: '10.20.0.5', family: 'IPv4', internal: false },
  { address: 'fe80::1c2:3ff:fe4d:5e6f', family: 'IPv6', internal: false },
  { address: 'fd00:10::5', family: 'IPv6', internal: false },
  { address: '169.254.3.4', family: 'IPv4', internal: false },
];

test('a listen address is 0.0.0.0, loopback or an address of this workstation, on a port from 1024', () => {
  for (const host of ['0.0.0.0', '127.0.0.1', '127.0.0.135', '10.20.0.5', 'fd00:10:0::5', '::1']) assert.deepEqual(listenProblems({ host, port: 8080 }, workstation), {}, host);
  assert.match(listenProblems({ host: '10.20.0.6', port: 8080 }, workstation).host ?? '', /^this workstation has no address 10\.20\.0\.6: give 0\.0\.0\.0, 127\.0\.0\.1 or one of 10\.20\.0\.5, fd00:10::5$/);
  assert.match(listenProblems({ host: 'gpu-box.local', port: 8080 }, workstation).host ?? '', /is not an IP address/);
  assert.match(listenProblems({ host: '300.1.1.1', port: 8080 }, workstation).host ?? '', /is not an IP address/);
  assert.match(listenProblems({ host: '::', port: 8080 }, workstation).host ?? '', /listen on 0\.0\.0\.0/);
  for (const port of [0, 80, 1023, 65_536, 8080.5]) assert.match(listenProblems({ host: '127.0.0.1', port }, workstation).port ?? '', /from 1024 to 65535/, String(port));
  assert.deepEqual(Object.keys(listenProblems({ host: 'nope', port: 22 }, workstation)).sort(), ['host', 'port'], 'both fields are named at once');
  assert.deepEqual(listenProblems({ host: '127.0.0.1', port: 1024 }, workstation), {});
  assert.deepEqual(listenProblems({ host: '127.0.0.1', port: 65_535 }, workstation), {});
});

test('the site addresses leave out loopback and link-local, IPv4 first', () => {
  assert.deepEqual(siteAddresses(workstation), ['10.20.0.5', 'fd00:10::5']);
});

test('the environment overrides the stored address field by field, and says which variable did', () => {
  const stored = { host: '0.0.0.0', port: 9000 };
  assert.deepEqual(effectiveListen(stored, { host: undefined, port: undefined }), { address: stored, overridden: [] });
  assert.deepEqual(effectiveListen(stored, { host: undefined, port: 0 }), { address: { host: '0.0.0.0', port: 0 }, overridden: ['OUTPOST_ROUTER_PORT'] });
  assert.deepEqual(effectiveListen(stored, { host: '127.0.0.1', port: 8081 }), { address: { host: '127.0.0.1', port: 8081 }, overridden: ['OUTPOST_ROUTER_HOST', 'OUTPOST_ROUTER_PORT'] });
});

test('base URLs: one address, or for 0.0.0.0 every IPv4 site address then loopback; a warning off loopback only', () => {
  assert.deepEqual(baseUrls({ host: '127.0.0.1', port: 8080 }, workstation), ['http://127.0.0.1:8080/v1']);
  assert.deepEqual(baseUrls({ host: '0.0.0.0', port: 9000 }, workstation), ['http://10.20.0.5:9000/v1', 'http://127.0.0.1:9000/v1']);
  assert.deepEqual(baseUrls({ host: 'fd00:10::5', port: 9000 }, workstation), ['http://[fd00:10::5]:9000/v1']);
  assert.equal(exposureWarning('127.0.0.1'), null);
  assert.equal(exposureWarning('::1'), null);
  assert.match(exposureWarning('0.0.0.0') ?? '', /reachable from the site network on every address of this workstation: every request to \/v1 needs an API key/);
  assert.match(exposureWarning('10.20.0.5') ?? '', /on 10\.20\.0\.5/);
});

test('a router URL is read back as its address; the wildcard overlaps every address on its port', () => {
  assert.deepEqual(parseListenUrl('http://127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseListenUrl('http://[::1]:9000'), { host: '::1', port: 9000 });
  assert.equal(parseListenUrl('not a url'), null);
  assert.ok(overlaps({ host: '0.0.0.0', port: 8080 }, { host: '127.0.0.1', port: 8080 }));
  assert.ok(!overlaps({ host: '10.20.0.5', port: 8080 }, { host: '127.0.0.1', port: 8080 }));
  assert.ok(!overlaps({ host: '0.0.0.0', port: 8080 }, { host: '0.0.0.0', port: 8081 }));
});
