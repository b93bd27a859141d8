import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import type { Configuration } from 'app-builder-lib';
import { DebugLogger } from 'builder-util';
import { REPO_ROOT } from '../helpers/cli.js';

// electron-builder checks its configuration against its JSON schema before it downloads anything; `npm run dist`
// needs Electron's binaries, which CI cannot download. This runs that same check (app-builder-lib's own
// getConfig + validateConfiguration) on electron-builder.yml, so a wrong key fails CI instead of the release.

async function realConfig(): Promise<Configuration> {
  return getConfig(REPO_ROOT, null, null);
}

const validate = (config: Configuration) => validateConfiguration(config, new DebugLogger(false));

test('electron-builder accepts electron-builder.yml', async () => {
  await validate(await realConfig());
});

test('electron-builder refuses a misspelt key, at the top and inside a target', async () => {
  const config = await realConfig();
  await assert.rejects(validate({ ...config, asarUnpak: ['bin/**'] } as Configuration), /asarUnpak/);
  // Inside a target the schema's message names the target, not the key.
  await assert.rejects(validate({ ...config, deb: { ...config.deb, afterInstal: 'x.sh' } } as Configuration), /configuration\.deb /);
});

test('every file the packaging config names exists', async () => {
  const config = await realConfig();
  const fpmFiles = (config.deb?.fpm ?? []).map((arg) => (arg.startsWith('--') ? arg.split('=')[1] : arg.split('=')[0]));
  const named = [config.deb?.afterInstall, config.deb?.afterRemove, config.afterPack, ...fpmFiles, ...[config.extraResources].flat().map((entry) => (typeof entry === 'string' ? entry : entry?.from))];
  assert.ok(named.length >= 6);
  for (const file of named) {
    assert.ok(typeof file === 'string', `a name in ${JSON.stringify(named)}`);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, file)), `${file} is named by electron-builder.yml`);
  }
});

test('the app is packed as plain files, so the CLI and the router child load it by its paths', async () => {
  // Everything under resources/app runs under ELECTRON_RUN_AS_NODE as well as in the window (electron-builder.yml
  // says why). Packing it into an asar would need every path computed from import.meta.url mapped to
  // app.asar.unpacked and all of the CLI's files unpacked.
  const config = await realConfig();
  assert.equal(config.asar, false);
  const patterns = [config.files].flat().flatMap((entry) => (typeof entry === 'string' ? [entry] : [entry?.filter ?? []].flat()));
  assert.ok(patterns.includes('bin/**'), 'bin/outpost.js is the entry of the CLI and the router child');
});

test('the maintainer scripts use only the macros electron-builder fills in (any other ${name} stops the build)', async () => {
  const config = await realConfig();
  const known = new Set(['executable', 'sanitizedProductName', 'productFilename']);
  for (const script of [config.deb?.afterInstall, config.deb?.afterRemove]) {
    const text = fs.readFileSync(path.join(REPO_ROOT, script as string), 'utf8');
    const macros = [...text.matchAll(/\$\{([a-zA-Z]+)\}/g)].map((match) => match[1] as string);
    assert.deepEqual(
      macros.filter((name) => !known.has(name)),
      [],
      String(script),
    );
  }
});
