import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';

// The folders are layers (STYLE.md): this test is the lint rule that keeps them so,
// and it fails closed — every source file is checked, none is exempt by omission.

interface SourceImport {
  file: string;
  specifier: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  const full = path.join(REPO_ROOT, dir);
  if (!fs.existsSync(full)) return [];
  return fs.readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|tsx|cts)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(REPO_ROOT, path.join(e.parentPath, e.name)));
}

function importsOf(file: string): SourceImport[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const found: SourceImport[] = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
    found.push({ file, specifier: match[3] as string, typeOnly: Boolean(match[2]) });
  }
  for (const match of text.matchAll(/(?:import\(|require\()\s*['"]([^'"]+)['"]/g)) found.push({ file, specifier: match[1] as string, typeOnly: false });
  return found;
}

/** The repo-relative path an import points at, or null for a package. */
function target(imp: SourceImport): string | null {
  if (!imp.specifier.startsWith('.')) return null;
  return path.relative(REPO_ROOT, path.resolve(REPO_ROOT, path.dirname(imp.file), imp.specifier)).replace(/\.js$/, '');
}

const isTest = (file: string) => /\.test\.tsx?$/.test(file) || file.includes('test-writer') || file.includes('/testing/');
const EDGE_MODULES = /^(node:)?(fs|fs\/promises|child_process|net|http|https|dgram|dns)$|^(electron|ssh2|node-ssh|better-sqlite3|undici|ws|systeminformation|prom-client)$/;

test('capability cores are pure: no file system, processes, network, Electron, SSH or SQLite', () => {
  const offenders = sources('main')
    .filter((f) => /^main\/[^/]+\/core\//.test(f) && !isTest(f))
    .flatMap(importsOf)
    .filter((imp) => EDGE_MODULES.test(imp.specifier) && !imp.typeOnly)
    .map((imp) => `${imp.file} imports ${imp.specifier}`);
  assert.deepEqual(offenders, []);
});

test('a capability reaches another only through its index.ts', () => {
  const offenders = sources('main')
    .filter((f) => !isTest(f))
    .flatMap(importsOf)
    .flatMap((imp) => {
      const to = target(imp);
      const from = imp.file.split('/')[1];
      if (to === null || !to.startsWith('main/')) return [];
      const [, capability, ...rest] = to.split('/');
      if (capability === from || capability === undefined) return [];
      // platform/ (dispatcher, events, jobs, logging, store) sits under every capability; the composition root
      // (app/) and the shells wire capabilities together, through their index as well.
      if (capability === 'platform') return [];
      if (from === 'platform') return [`${imp.file} (platform) imports a capability (${imp.specifier})`];
      if (capability === 'app' && from !== 'shell') return [`${imp.file} imports the composition root (${imp.specifier})`];
      if (from === 'shell' && capability === 'app') return [];
      if (from === 'app' && capability === 'shell') return [`${imp.file} imports a shell (${imp.specifier})`];
      return rest.join('/') === 'index' ? [] : [`${imp.file} reaches into ${to}`];
    });
  assert.deepEqual(offenders, []);
});

test('shared/ is the contract only: it imports nothing from main/ or renderer/', () => {
  const offenders = sources('shared')
    .flatMap(importsOf)
    .filter((imp) => {
      const to = target(imp);
      return to !== null && (to.startsWith('main/') || to.startsWith('renderer/'));
    })
    .map((imp) => `${imp.file} imports ${imp.specifier}`);
  assert.deepEqual(offenders, []);
});

test('the renderer never imports the core or a Node module', () => {
  const offenders = sources('renderer')
    .filter((f) => !f.endsWith('vite.config.ts'))
    .flatMap(importsOf)
    .filter((imp) => {
      const to = target(imp);
      return (to !== null && to.startsWith('main/')) || /^node:|^(fs|path|child_process|electron)$/.test(imp.specifier);
    })
    .map((imp) => `${imp.file} imports ${imp.specifier}`);
  assert.deepEqual(offenders, []);
});
