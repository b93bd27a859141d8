import assert from 'node:assert/strict';
import test from 'node:test';
import { nodeModelScript, nodeModelVerdict } from './node-model.js';

const file = { node: 'box', path: "/models/it's.gguf", sizeBytes: 1234, headerDigest: 'ab'.repeat(32) };

test('the in-place read quotes the path, honours the probe root, and hashes the first MiB only', () => {
  const script = nodeModelScript(file.path);
  assert.match(script, /^f=\$\{OUTPOST_PROBE_ROOT-\}'\/models\/it'\\''s\.gguf'$/m);
  assert.match(script, /head -c 1048576 "\$f" \| sha256sum/);
});

test('the same file is loaded from its real path; a changed or missing one is a problem naming it', () => {
  assert.deepEqual(nodeModelVerdict(file, `path /srv/models/it's.gguf\nsize 1234\nhead ${'ab'.repeat(32)}\n`), { path: "/srv/models/it's.gguf" });
  const changed = nodeModelVerdict(file, `path /m\nsize 1234\nhead ${'cd'.repeat(32)}\n`);
  assert.ok('problem' in changed && /it's\.gguf changed since it was scanned and planned \(first-MiB digest cdcdcdcdcdcd…, 1234 bytes; the plan read abababababab…, 1234 bytes\): scan box and plan again/.test(changed.problem));
  const grown = nodeModelVerdict(file, `path /m\nsize 9999\nhead ${'ab'.repeat(32)}\n`);
  assert.ok('problem' in grown && /changed since/.test(grown.problem));
  assert.deepEqual(nodeModelVerdict(file, 'missing\n'), { problem: "the model file /models/it's.gguf the plan was made from is gone or unreadable" });
});
