import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

const endings = new WeakMap<TestContext, Array<() => unknown>>();

/**
 * Runs `work` when the test ends, after everything registered later through this function (last in, first
 * out): a server started after its data dir stops before the dir is removed. node:test runs its own after-hooks
 * in the order they were added, which would remove the dir first, under a process still writing into it.
 */
export function atTestEnd(t: TestContext, work: () => unknown): void {
  let stack = endings.get(t);
  if (!stack) {
    const works: Array<() => unknown> = [];
    endings.set(t, works);
    t.after(async () => {
      for (const next of works.reverse()) await next();
    });
    stack = works;
  }
  stack.push(work);
}

/** A fresh directory per test, removed when the test ends (after what was started in it has stopped: atTestEnd). */
export function tempDir(t: TestContext, prefix = 'outpost-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  atTestEnd(t, () => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}

/** Every file under a dir with its bytes, to prove that a refused operation wrote nothing. */
export function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (current: string) => {
    if (!fs.existsSync(current)) return;
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full).toString('base64'));
    }
  };
  walk(dir);
  return files;
}
