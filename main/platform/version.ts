import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | undefined;

/** Outpost's package root and version, found by walking up from this file (works from source and dist). */
function packageInfo(): { root: string; version: string } {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'outpost' && pkg.version) return (cached = { root: dir, version: pkg.version });
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the outpost package.json above the running code');
    dir = parent;
  }
}

export function appVersion(): string {
  return packageInfo().version;
}

/** Where the built renderer lives (vite's outDir). */
export function rendererDir(): string {
  return path.join(packageInfo().root, 'dist', 'renderer');
}

/** The `outpost` command's script (bin/outpost.js), what a unit file or a detached start runs with Node. */
export function cliEntry(): string {
  return path.join(packageInfo().root, 'bin', 'outpost.js');
}
