import assert from 'node:assert/strict';
import test from 'node:test';
import { defaultSiteId } from './site-id.js';
import { SITE_ID_PATTERN } from '../../../shared/domain/identity.js';

test('default site ids are valid whatever the host name', () => {
  for (const host of ['Workstation.local', '', '---', 'ÜBER_host', 'a'.repeat(200), 'x']) {
    const id = defaultSiteId(host, 'ab12');
    assert.match(id, SITE_ID_PATTERN, `${host} -> ${id}`);
  }
  assert.equal(defaultSiteId('Lab-PC.example', 'ab12'), 'lab-pc-example-ab12');
});
