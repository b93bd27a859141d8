// Every page at 1366×768 (a technician's laptop) without horizontal overflow and without serious accessibility
// violations in either theme; a confirmation driven by keyboard only; the dark theme on a screenshot.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/cli.js';
import { expectAccessible } from '../helpers/axe.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { post, startRouterSetup } from '../helpers/router.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startScannedSite } from '../helpers/scanned-site.js';
import { RouterPageObject } from './pages/router-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const FIRST = 2; // this file's loopback block: 127.0.0.2–3
const PROFILES = ['a100-server', 'agx-orin-64'];
const LAPTOP = { width: 1366, height: 768 };
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

/** The document's and the page's main area's widths; in the page, where the DOM is (the tests compile without its types). */
interface Box {
  scrollWidth: number;
  clientWidth: number;
}
async function widths(page: Page): Promise<{ document: number; main: number; mainVisible: number }> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { scrollingElement: Box; querySelector: (selector: string) => Box } }).document;
    const main = doc.querySelector('main');
    return { document: doc.scrollingElement.scrollWidth, main: main.scrollWidth, mainVisible: main.clientWidth };
  });
}

test('every page reads at 1366×768 in both themes, and a confirmation works by keyboard alone', { skip: unavailable, timeout: 180_000 }, async (t) => {
  const setup = await startRouterSetup(t, {
    upstreams: [
      { name: 'gpu-a100-01', tier: 'site', ttftMs: 30, tokensPerSecond: 500, tokens: 6 },
      { name: 'edge-dc', tier: 'edge', ttftMs: 80, tokensPerSecond: 500, tokens: 6 },
    ],
  });
  await setup.call('identity.init', { siteId: 'a11y-site' });
  await startScannedSite(t, setup.dataDir, PROFILES, FIRST);
  const chat = { model: 'tiny', messages: [{ role: 'user', content: 'line 3?' }], stream: true };
  for (let i = 0; i < 4; i += 1) assert.equal((await post(`${setup.url}/v1/chat/completions`, setup.key, chat)).status, 200);

  const { url } = await startSiteService(t, setup.dataDir);
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, LAPTOP);
  await win.siteId.waitFor();
  const pages: string[] = [];
  for (const link of await page.locator('nav a[data-testid^="nav-"]').all()) pages.push(((await link.getAttribute('data-testid')) ?? '').replace(/^nav-/, ''));
  assert.ok(pages.length >= 7, `every page is in the navigation: ${pages.join(', ')}`);
  for (const name of pages) {
    await win.goTo(name);
    if (name === 'nodes') await page.getByTestId('node-row').nth(1).waitFor();
    if (name === 'router') await page.getByTestId('router-endpoints').waitFor();
    if (name === 'plan') {
      await page.getByTestId('plan-node-gpu-a100-01').check();
      await page.getByTestId('plan-run').click();
      await page.locator('[data-testid="plan-stages"], [data-testid="plan-infeasible"]').first().waitFor();
    }
    await page.waitForTimeout(1_500); // the page's first calls answered
    const shown = await widths(page);
    assert.ok(shown.document <= LAPTOP.width, `${name}: the document is ${shown.document} px wide at ${LAPTOP.width}`);
    assert.ok(shown.main <= shown.mainVisible, `${name}: the page's content is ${shown.main} px wide in ${shown.mainVisible} px; a wide table scrolls inside its card`);
    await expectAccessible(page, `the ${name} page at 1366×768`);
  }

  // Keyboard only: Enter opens the question with the focus on Yes, Escape closes it and gives the focus back.
  await win.goTo('router');
  const router = new RouterPageObject(page);
  await router.createKey('line-3-camera', '');
  const created = (await setup.call('router.keys.list', {})).find((k) => k.app === 'line-3-camera');
  assert.ok(created);
  const revoke = `router-key-revoke-${created.id}`;
  const focused = () => page.locator(':focus').getAttribute('data-testid');
  await router.byTestId(revoke).focus();
  await page.keyboard.press('Enter');
  await router.byTestId(`router-key-confirm-${created.id}`).waitFor();
  assert.equal(await focused(), `router-key-revoke-yes-${created.id}`, 'the focus moves to the confirm button');
  await expectAccessible(page, 'the Router page asking to revoke a key');
  await page.keyboard.press('Escape');
  await router.byTestId(revoke).waitFor();
  assert.equal(await router.byTestId(`router-key-confirm-${created.id}`).count(), 0, 'Escape cancels');
  assert.equal(await focused(), revoke, 'the focus returns to the button');
  assert.equal((await setup.call('router.keys.list', {})).find((k) => k.id === created.id)?.revokedAt, null, 'nothing revoked by Escape');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await router.byTestId(`router-key-${created.id}`).filter({ hasText: 'revoked' }).waitFor();
  assert.ok((await setup.call('router.keys.list', {})).find((k) => k.id === created.id)?.revokedAt, 'Enter on the question confirms');

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dark-router.png'), fullPage: true });
  await win.goTo('nodes');
  await page.getByTestId('node-row').nth(1).waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'dark-nodes.png'), fullPage: true });
  assert.deepEqual(consoleErrors, [], 'no CSP violation or script error');
});
