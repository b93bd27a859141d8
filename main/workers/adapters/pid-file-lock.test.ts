import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { PidFileLock } from './pid-file-lock.js';

const lockFile = (t: test.TestContext): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outpost-lock-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'workers-supervisor.lock');
};

test('a lock held by another live process is refused; released, it is free again', (t) => {
  const file = lockFile(t);
  fs.writeFileSync(file, String(process.ppid));
  const lock = new PidFileLock(file);
  assert.equal(lock.holder(), process.ppid, 'the holder is named');
  assert.equal(lock.acquire(), false);
  lock.release();
  assert.equal(fs.readFileSync(file, 'utf8'), String(process.ppid), 'another process keeps its lock');
  fs.rmSync(file);
  assert.equal(lock.acquire(), true);
  assert.equal(fs.readFileSync(file, 'utf8'), String(process.pid));
  lock.release();
  assert.equal(fs.existsSync(file), false);
  assert.equal(lock.holder(), null, 'nobody holds a lock with no file');
});

test('a lock left by a process that is gone is taken over', (t) => {
  const file = lockFile(t);
  fs.writeFileSync(file, '2147483646');
  assert.equal(new PidFileLock(file).holder(), null, 'a gone process holds nothing');
  assert.equal(new PidFileLock(file).acquire(), true);
  assert.equal(fs.readFileSync(file, 'utf8'), String(process.pid));
});
