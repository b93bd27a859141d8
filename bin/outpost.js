#!/usr/bin/env node
// The CLI runs from the compiled core; `npm install` builds it (the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main/shell/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('outpost: this checkout is not built — run `npm run build` (or `npm install`) first\n');
  process.exit(1);
}
await import(entry.href);
