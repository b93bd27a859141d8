import assert from 'node:assert/strict';
import test from 'node:test';
import { createPickFileHandler, type FilePickDialog } from './ipc.js';

const OWN = 'file:///opt/outpost/renderer/index.html';

test('the file dialog opens only for the own page and a known pick, and hands back only a path', async () => {
  const asked: Parameters<FilePickDialog>[0][] = [];
  const pick = createPickFileHandler(
    (url) => url.split('#')[0] === OWN,
    async (options) => {
      asked.push(options);
      return options.kind === 'open' ? '/media/usb/hq.trust.json' : '/home/tech/site.trust.json';
    },
  );
  assert.equal(await pick(`${OWN}#/setup`, 'open-trust-file'), '/media/usb/hq.trust.json');
  assert.equal(await pick(OWN, 'save-trust-file'), '/home/tech/site.trust.json');
  assert.deepEqual(
    asked.map((o) => o.kind),
    ['open', 'save'],
  );
  assert.equal(await pick('https://example.org/', 'open-trust-file'), null, 'a foreign frame gets no dialog');
  assert.equal(await pick(OWN, 'open-any-file'), null, 'an unknown pick gets no dialog');
  assert.equal(await pick(OWN, { kind: 'open' }), null);
  assert.equal(asked.length, 2);
});
