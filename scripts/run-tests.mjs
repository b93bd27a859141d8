#!/usr/bin/env node
// Runs every compiled test file with node's test runner: the spec report for
// people, then one closing line "N passed, N failed" that CI reads.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);

function collect(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return collect(full);
    return entry.name.endsWith('.test.js') ? [full] : [];
  });
}

const files = ['main', 'shared', 'test']
  .map((d) => path.join(root, 'dist', d))
  .flatMap((d) => {
    try {
      return collect(d);
    } catch {
      return [];
    }
  })
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

if (files.length === 0) {
  console.error('no compiled test files under dist/ — run `npm run build` first');
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${path.join(root, 'scripts', 'summary-reporter.mjs')}`, '--test-reporter-destination=stdout', ...files],
  // Cores under test start their own router child: on a free port, never on 8080 where a real one may serve.
  { stdio: 'inherit', cwd: root, env: { ...process.env, OUTPOST_ROUTER_PORT: process.env.OUTPOST_ROUTER_PORT ?? '0' } },
);
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
