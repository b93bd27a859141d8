// The window in Chromium shows what it is attached to, "reconnecting…" while the site service is away, and, once
// a new instance of the service answers behind the same URL, fetches what it shows again: here the site identity
// created while no service ran, which no event told it of.
import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { runOutpost } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { expectAccessible } from '../helpers/axe.js';

test('the status bar shows the service the window is attached to, reconnecting while it is away, and the page refetches from a restarted one', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  // No --port: a restarted service takes the recorded one, so the page's URL stays good.
  const first = await startSiteService(t, dataDir, { runArgs: [] });
  const { win, consoleErrors } = await openOutpostWindow(t, first.url);
  const link = win.byTestId('status-link');
  await link.filter({ hasText: `site service pid ${first.pid} (terminal)` }).waitFor();
  await expectAccessible(win.page, 'the window attached to its service');
  assert.equal(await win.statusSite.textContent(), 'no site identity');

  const exited = new Promise((resolve) => first.process.once('exit', resolve));
  first.process.kill('SIGTERM');
  await exited;
  await link.filter({ hasText: 'reconnecting…' }).waitFor();
  await expectAccessible(win.page, 'the window while the service is away');
  assert.equal((await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'while-away'])).code, 0);

  const second = await startSiteService(t, dataDir, { runArgs: [] });
  assert.equal(second.port, first.port, 'the same door');
  await link.filter({ hasText: `site service pid ${second.pid} (terminal)` }).waitFor({ timeout: 15_000 });
  await win.statusSite.filter({ hasText: 'site while-away' }).waitFor();
  assert.deepEqual(
    consoleErrors.filter((e) => !/Failed to load resource|WebSocket connection/.test(e)),
    [],
    'no CSP violation or script error (the refused connections while the service was away aside)',
  );
});
