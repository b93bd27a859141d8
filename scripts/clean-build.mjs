// Removes compiled main/shared/test output before a build, so a renamed or
// deleted source (a test above all) never lives on as a stale .js in dist/.
import { rmSync } from 'node:fs';
import path from 'node:path';

const dist = path.resolve(import.meta.dirname, '..', 'dist');
for (const entry of ['main', 'shared', 'test', 'bench', '.tsbuildinfo']) rmSync(path.join(dist, entry), { recursive: true, force: true });
