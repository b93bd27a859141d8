import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyEndpointAddress, type AddressKind } from './endpoint-address.js';

test('endpoint addresses: what a site expects, and what needs --allow-address, however it is spelled', () => {
  const table: Array<[url: string, host: string, kind: AddressKind]> = [
    // Expected on a site.
    ['http://127.0.0.1:8080', '127.0.0.1', 'loopback'],
    ['http://127.9.8.7:8080', '127.9.8.7', 'loopback'],
    ['http://localhost:8080', 'localhost', 'loopback'],
    ['http://[::1]:8080', '::1', 'loopback'],
    ['http://10.0.0.5:8080', '10.0.0.5', 'private'],
    ['http://172.16.0.1', '172.16.0.1', 'private'],
    ['http://172.31.255.254', '172.31.255.254', 'private'],
    ['http://192.168.1.20:8080/base', '192.168.1.20', 'private'],
    ['http://100.64.0.7', '100.64.0.7', 'private'],
    ['http://[fd12:3456::1]:8080', 'fd12:3456::1', 'private'],
    ['http://[::ffff:10.1.2.3]', '::ffff:a01:203', 'private'],
    ['http://gpu-7:8080', 'gpu-7', 'name'],
    ['https://llm.hq.example.org', 'llm.hq.example.org', 'name'],
    ['https://8.8.8.8', '8.8.8.8', 'public'],
    ['https://172.32.0.1', '172.32.0.1', 'public'],
    ['https://[2001:db8::1]', '2001:db8::1', 'public'],
    // Unexpected: confirmed or refused.
    ['http://169.254.10.20:8080', '169.254.10.20', 'link-local'],
    ['http://[fe80::1]:8080', 'fe80::1', 'link-local'],
    ['http://[febf::1]', 'febf::1', 'link-local'],
    ['http://[::ffff:169.254.1.1]', '::ffff:a9fe:101', 'link-local'],
    ['http://[64:ff9b::169.254.1.1]', '64:ff9b::a9fe:101', 'link-local'],
    ['http://224.0.0.251', '224.0.0.251', 'multicast'],
    ['http://239.255.255.250:1900', '239.255.255.250', 'multicast'],
    ['http://[ff02::1]', 'ff02::1', 'multicast'],
    ['http://0.0.0.0:8080', '0.0.0.0', 'unspecified'],
    ['http://0:8080', '0.0.0.0', 'unspecified'],
    ['http://[::]:8080', '::', 'unspecified'],
    ['http://255.255.255.255', '255.255.255.255', 'broadcast'],
    ['http://240.0.0.1', '240.0.0.1', 'reserved'],
    ['http://[fec0::1]', 'fec0::1', 'reserved'],
    ['http://169.254.169.254/latest', '169.254.169.254', 'cloud-metadata'],
    ['http://0xA9FEA9FE/', '169.254.169.254', 'cloud-metadata'],
    ['http://2852039166/', '169.254.169.254', 'cloud-metadata'],
    ['http://0251.0376.0251.0376/', '169.254.169.254', 'cloud-metadata'],
    ['http://169.254.43518/', '169.254.169.254', 'cloud-metadata'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe', 'cloud-metadata'],
    ['http://[0:0:0:0:0:ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe', 'cloud-metadata'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254', 'cloud-metadata'],
    ['http://100.100.100.200/', '100.100.100.200', 'cloud-metadata'],
    ['http://169.254.170.2/v2', '169.254.170.2', 'cloud-metadata'],
    ['http://metadata.google.internal/computeMetadata/v1', 'metadata.google.internal', 'cloud-metadata'],
    ['http://METADATA.google.internal./', 'metadata.google.internal', 'cloud-metadata'],
  ];
  for (const [url, host, kind] of table) {
    const address = classifyEndpointAddress(url);
    assert.deepEqual([address.host, address.kind], [host, kind], url);
    const expected = ['loopback', 'private', 'public', 'name'].includes(kind);
    assert.equal(address.unexpected === null, expected, `${url}: ${address.unexpected}`);
  }
});
