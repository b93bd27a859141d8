import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

/**
 * A fresh directory per test, removed when the test ends. node:test runs a test's after-hooks in the order
 * they were added, so this one usually runs before the hooks that stop what writes into the directory (an
 * `outpost ui` and its router child write stats every second): removal retries on ENOTEMPTY instead of
 * failing the test and skipping the hooks after it (which left that server running).
 */
export function tempDir(t: TestContext, prefix = 'outpost-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
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
