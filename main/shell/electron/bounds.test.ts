import assert from 'node:assert/strict';
import fs from 'node:fs';
import test from 'node:test';
import { tempDir } from '../../../test/helpers/temp.js';
import { isReachable, readWindowBounds, windowBoundsPath, writeWindowBounds } from './bounds.js';

const LAPTOP = { x: 0, y: 0, width: 1920, height: 1040 };
const RIGHT_MONITOR = { x: 1920, y: 0, width: 2560, height: 1400 };

test('bounds are written private to the user and read back while they lie on a screen', (t) => {
  const dir = tempDir(t);
  writeWindowBounds(dir, { x: 2100, y: 50, width: 1200, height: 800, maximized: true });
  assert.equal(fs.statSync(windowBoundsPath(dir)).mode & 0o777, 0o600);
  assert.deepEqual(readWindowBounds(dir, [LAPTOP, RIGHT_MONITOR]), { x: 2100, y: 50, width: 1200, height: 800, maximized: true });
  assert.equal(readWindowBounds(dir, [LAPTOP]), null, 'the monitor it was on is unplugged');
});

test('a window needs a grabbable strip of its title bar on some screen', () => {
  assert.equal(isReachable({ x: 1800, y: 100, width: 800, height: 600 }, [LAPTOP]), true, '120 px of it still on the laptop');
  assert.equal(isReachable({ x: 1860, y: 100, width: 800, height: 600 }, [LAPTOP]), false, 'only 60 px');
  assert.equal(isReachable({ x: 100, y: -500, width: 800, height: 600 }, [LAPTOP]), false, 'the title bar above the screen');
  assert.equal(isReachable({ x: 100, y: 1020, width: 800, height: 600 }, [LAPTOP]), false, 'the title bar below the work area');
});

test('no file, a torn file or one that is not ours: no bounds, the window opens at its default place', (t) => {
  const dir = tempDir(t);
  assert.equal(readWindowBounds(dir, [LAPTOP]), null);
  for (const text of ['{"x": 1', '{"x":1,"y":1,"width":10,"height":10}', '{"x":1,"y":1,"width":900,"height":700,"evil":true}', '[]']) {
    fs.writeFileSync(windowBoundsPath(dir), text);
    assert.equal(readWindowBounds(dir, [LAPTOP]), null, text);
  }
});
