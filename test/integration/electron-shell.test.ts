import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SiteRepository } from '../../main/discovery/index.js';
import { CONTENT_SECURITY_POLICY } from '../../main/shell/csp.js';
import { stopService } from '../../main/shell/service/control.js';
import { readServiceRecord } from '../../main/shell/service/service-record.js';
import { LATEST_SCHEMA_VERSION, openDatabase } from '../../main/platform/store/index.js';
import { outpostUi } from '../helpers/attach.js';
import { bareInventory } from '../helpers/inventory.js';
import { launchShell, type Recorded, type ShellUnderTest } from '../helpers/electron-shell.js';
import { REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { STAND_IN_WORK_AREA } from '../fixtures/electron-stand-in/protocol.js';

// The compiled Electron main under a recording stand-in for `electron` (test/fixtures/electron-stand-in/):
// what the shell asks of Electron and how it answers Electron's events. No Chromium runs (README).
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'outpost-electron-'));
after(() => fs.rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));
const dataDir = path.join(root, 'data');
const lock = path.join(root, 'single-instance.lock');
const env = { OUTPOST_HOME: dataDir, OUTPOST_STAND_IN_LOCK: lock, OUTPOST_TELEMETRY_INTERVAL_MS: '250' };
const OWN_PAGE_SUFFIX = '/dist/renderer/index.html';

const detail = <T>(record: Recorded | undefined): T => record?.detail as T;
/** A live process; a zombie (exited, not yet reaped by whoever adopted the detached service) is not. */
const alive = (pid: number): boolean => {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** A port nothing listens on: the inventoried node the sampler cannot reach, so it goes silent. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The colour at the centre of a PNG the shell drew (8-bit RGBA, filter 0 rows, as the shell encodes them). */
function centreColour(pngBase64: string): [number, number, number] {
  const png = Buffer.from(pngBase64, 'base64');
  const width = png.readUInt32BE(16);
  let offset = 8;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    if (png.toString('ascii', offset + 4, offset + 8) === 'IDAT') data.push(png.subarray(offset + 8, offset + 8 + length));
    offset += length + 12;
  }
  const rows = zlib.inflateSync(Buffer.concat(data));
  const middle = Math.floor(width / 2);
  const at = middle * (width * 4 + 1) + 1 + middle * 4;
  return [rows[at] as number, rows[at + 1] as number, rows[at + 2] as number];
}

async function seedSilentGpuNode(): Promise<void> {
  const db = openDatabase(path.join(dataDir, 'outpost.db'));
  try {
    const site = new SiteRepository(db);
    const at = new Date().toISOString();
    site.startScan('seed', '127.0.0.1', at);
    const gpu = { index: 0, name: 'NVIDIA T4', uuid: null, memoryTotalMiB: null, memoryUsedMiB: null, utilizationPct: null, temperatureC: null, powerW: null, pciBusId: null, driverVersion: null, migDevices: [], unifiedMemory: false };
    site.saveInventory({
      scanId: 'seed',
      address: '127.0.0.1',
      port: await closedPort(),
      hostKey: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:stand-in-test-node-that-never-answers' },
      login: { user: 'outpost', keyPath: null },
      inventory: { ...bareInventory('gpu-silent'), gpus: [gpu] },
      at,
    });
  } finally {
    db.close();
  }
}

describe('the Electron shell, loaded compiled with a stand-in electron module', () => {
  let shell: ShellUnderTest;
  let servicePid = 0;

  before(async () => {
    for (const args of [
      ['keys', 'init', '--site-id', 'electron-shell'],
      ['health', 'limits', '--stale-seconds', '6'],
    ]) {
      const done = await runOutpost(['--data-dir', dataDir, ...args]);
      assert.equal(done.code, 0, done.stderr);
    }
    await seedSilentGpuNode();
    shell = launchShell(env);
    await shell.ready();
    await shell.waitFor('the window to load', (r) => r.some((c) => c.call === 'BrowserWindow.loadURL'));
  });
  after(async () => {
    shell?.kill();
    await stopService(dataDir).catch(() => undefined);
  });

  test('the sandbox is on before ready, and the one window is isolated, sandboxed, without Node or webviews', () => {
    assert.deepEqual(detail(shell.calls('app.enableSandbox')[0]), { ready: false });
    const windows = shell.calls('BrowserWindow');
    assert.equal(windows.length, 1);
    const options = detail<{ webPreferences: Record<string, unknown> }>(windows[0]);
    assert.deepEqual(
      { ...options.webPreferences, preload: path.basename(options.webPreferences.preload as string) },
      { preload: 'preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInSubFrames: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false },
    );
    const url = detail<{ url: string }>(shell.calls('BrowserWindow.loadURL')[0]).url;
    assert.ok(url.startsWith('file://') && url.endsWith(`${OWN_PAGE_SUFFIX}#/overview`), url);
  });

  test('the page has one invoke handler, the file dialog and the subscribe channels; invoke reaches the site, only from the own page', async () => {
    assert.deepEqual(
      shell.calls('ipcMain.handle').map((c) => detail<{ channel: string }>(c).channel),
      ['outpost:invoke', 'outpost:pick-file'],
    );
    assert.deepEqual(
      shell
        .calls('ipcMain.on')
        .map((c) => detail<{ channel: string }>(c).channel)
        .sort(),
      ['outpost:subscribe', 'outpost:unsubscribe'],
    );
    const own = detail<{ url: string }>(shell.calls('BrowserWindow.loadURL')[0]).url;
    const status = (await shell.drive({ action: 'invoke', senderUrl: own, name: 'system.status', input: {} })) as { ok: boolean; result: { site: { siteId: string } | null } };
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.equal(status.result.site?.siteId, 'electron-shell', 'a real answer from the data dir the window attached to');
    const foreign = (await shell.drive({ action: 'invoke', senderUrl: 'https://example.org/', name: 'system.status', input: {} })) as { ok: boolean; error: { code: string } };
    assert.deepEqual([foreign.ok, foreign.error.code], [false, 'FORBIDDEN']);
  });

  test('every response carries the CSP header, replacing one the response brought', async () => {
    const response = (await shell.drive({ action: 'headers', url: 'file:///app/index.html', responseHeaders: { 'content-security-policy': ['default-src *'], 'X-Other': ['1'] } })) as { responseHeaders: Record<string, string[]> };
    assert.deepEqual(response.responseHeaders, { 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });

  test('the window never navigates away or opens windows; only https links go to the system browser', async () => {
    const own = detail<{ url: string }>(shell.calls('BrowserWindow.loadURL')[0]).url.split('#')[0] as string;
    const navigate = async (url: string) => ((await shell.drive({ action: 'will-navigate', url })) as { prevented: boolean }).prevented;
    assert.equal(await navigate(`${own}#/workers`), false, 'the own page (another route) may load');
    assert.equal(await navigate('https://example.org/docs'), true);
    assert.equal(await navigate('file:///etc/passwd'), true);
    assert.equal(await navigate('http://example.org/'), true);
    assert.equal(((await shell.drive({ action: 'will-redirect', url: 'https://example.org/elsewhere' })) as { prevented: boolean }).prevented, true);
    for (const url of ['https://example.org/new', 'http://example.org/', 'javascript:alert(1)', 'file:///etc/passwd', 'not a url']) {
      assert.deepEqual(await shell.drive({ action: 'window-open', url }), { action: 'deny' }, url);
    }
    assert.deepEqual(
      shell.calls('shell.openExternal').map((c) => detail<{ url: string }>(c).url),
      ['https://example.org/docs', 'https://example.org/new'],
    );
  });

  test('every permission request and check is denied', async () => {
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal']) {
      assert.equal(await shell.drive({ action: 'permission-request', permission }), false, permission);
      assert.equal(await shell.drive({ action: 'permission-check', permission }), false, permission);
    }
  });

  test('writing to the clipboard (the Copy buttons) is the one permission granted', async () => {
    assert.equal(await shell.drive({ action: 'permission-request', permission: 'clipboard-sanitized-write' }), true);
    assert.equal(await shell.drive({ action: 'permission-check', permission: 'clipboard-sanitized-write' }), true);
  });

  test('a second launch quits at once, and the first window comes back to the front', async () => {
    const second = launchShell(env);
    assert.equal(await second.exited, 0, second.output());
    assert.deepEqual(detail(second.calls('app.requestSingleInstanceLock')[0]), { got: false });
    assert.equal(second.calls('app.quit').length, 1);
    assert.equal(second.calls('BrowserWindow').length + second.calls('Tray').length, 0, 'no window, no tray, no attach');
    await shell.drive({ action: 'minimize' });
    await shell.drive({ action: 'second-instance' });
    assert.deepEqual(
      shell.records.slice(-3).map((r) => r.call),
      ['BrowserWindow.restore', 'BrowserWindow.show', 'BrowserWindow.focus'],
    );
  });

  test('the menu has About (version, schema, data dir), a confirmed stop that defaults to Cancel, Reload and Quit', async () => {
    const menu = JSON.stringify(detail(shell.calls('Menu.setApplicationMenu')[0]));
    for (const label of ['About Outpost', 'Stop the site service…', 'Reload', 'Quit']) assert.ok(menu.includes(`"label":"${label}"`), label);
    await shell.drive({ action: 'menu', label: 'About Outpost' });
    await shell.waitFor('the About box', (r) => r.some((c) => c.call === 'dialog.showMessageBox'));
    const about = detail<{ options: { detail: string } }>(shell.calls('dialog.showMessageBox')[0]).options.detail;
    const version = (JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
    assert.match(about, new RegExp(`Version ${version.replaceAll('.', '\\.')}`));
    assert.match(about, new RegExp(`Database schema ${LATEST_SCHEMA_VERSION}\\b`));
    assert.ok(about.includes(`Data dir ${dataDir}`), about);
    servicePid = Number(/pid (\d+)/.exec(about)?.[1]);

    await shell.drive({ action: 'menu', label: 'Stop the site service…' });
    await shell.waitFor('the confirmation', (r) => r.filter((c) => c.call === 'dialog.showMessageBox').length === 2);
    const confirm = detail<{ withWindow: boolean; options: { buttons: string[]; defaultId: number; cancelId: number } }>(shell.calls('dialog.showMessageBox')[1]);
    assert.equal(confirm.withWindow, true);
    assert.equal(confirm.options.buttons[confirm.options.defaultId], 'Cancel');
    assert.equal(confirm.options.cancelId, confirm.options.defaultId);
    const own = detail<{ url: string }>(shell.calls('BrowserWindow.loadURL')[0]).url;
    const status = (await shell.drive({ action: 'invoke', senderUrl: own, name: 'system.status', input: {} })) as { ok: boolean };
    assert.equal(status.ok, true, 'Cancel (the default) left the site running');
    assert.ok(alive(servicePid));
  });

  test('the tray follows the site: a node going silent turns it critical, with one notification for the new alert', async () => {
    const tooltips = () => shell.calls('Tray.setToolTip').map((c) => detail<{ text: string }>(c).text);
    await shell.waitFor('the first assessment', () => tooltips().length >= 2);
    assert.match(tooltips()[1] as string, /^Outpost: the site needs attention — No bundle has been exchanged/);
    await shell.waitFor('the silent-node alert to turn the tray critical', () => tooltips().some((t) => t.includes('critical')), 30_000);
    assert.match(tooltips().find((t) => t.includes('critical')) as string, /^Outpost: the site is critical — gpu-silent /);
    const images = shell.calls('Tray.setImage').map((c) => centreColour(detail<{ image: { png: string } }>(c).image.png));
    assert.deepEqual(images.at(-1), [0xd1, 0x24, 0x2f], 'a red disc');
    await shell.waitFor('the notification', (r) => r.some((c) => c.call === 'Notification.show'));
    // Several sampler ticks and re-assessments later, still the one notification.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const shown = shell.calls('Notification.show').map((c) => detail<{ title: string; body: string }>(c));
    assert.equal(shown.length, 1);
    assert.match(shown[0]?.body ?? '', /^gpu-silent sent no telemetry for \d+ s/);
  });

  test('a window attaching while the alert is active shows it in the tray but does not announce the backlog', async () => {
    const another = launchShell({ ...env, OUTPOST_STAND_IN_LOCK: `${lock}.other-session` });
    try {
      await another.ready();
      await another.waitFor('a critical tray', (r) => r.some((c) => c.call === 'Tray.setToolTip' && detail<{ text: string }>(c).text.includes('critical')));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(another.calls('Notification.show').length, 0);
    } finally {
      await another.drive({ action: 'close-window' });
      await another.exited;
    }
  });

  test('closing the window detaches and quits; the site service keeps running; the bounds are kept for the next window', async () => {
    await shell.drive({ action: 'move-window', bounds: { x: 100, y: 80, width: 1100, height: 700 } });
    await shell.drive({ action: 'close-window' });
    assert.equal(await shell.exited, 0, shell.output());
    assert.ok(shell.calls('Tray.destroy').length === 1 && shell.calls('app.quit').length >= 1);
    const bounds = path.join(dataDir, 'window.json');
    assert.equal(fs.statSync(bounds).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(fs.readFileSync(bounds, 'utf8')), { x: 100, y: 80, width: 1100, height: 700, maximized: false });

    const record = readServiceRecord(dataDir);
    assert.ok(record, 'the service is still recorded');
    assert.equal(record.pid, servicePid, 'the window was attached to the service, not running the site itself');
    assert.ok(alive(servicePid), 'the service outlives the window');
    const status = await runOutpost(['--data-dir', dataDir, 'status']);
    assert.equal(status.code, 0, status.stderr);

    const next = launchShell(env);
    try {
      await next.ready();
      await next.waitFor('the window', (r) => r.some((c) => c.call === 'BrowserWindow'));
      assert.deepEqual((({ x, y, width, height }) => ({ x, y, width, height }))(detail<Record<string, number>>(next.calls('BrowserWindow')[0])), { x: 100, y: 80, width: 1100, height: 700 });
    } finally {
      await next.drive({ action: 'close-window' });
      await next.exited;
    }
    // Bounds from a monitor that is gone are not used: the window opens at its default size.
    fs.writeFileSync(bounds, JSON.stringify({ x: STAND_IN_WORK_AREA.width + 500, y: 40, width: 1100, height: 700, maximized: false }));
    const offScreen = launchShell(env);
    try {
      await offScreen.ready();
      await offScreen.waitFor('the window', (r) => r.some((c) => c.call === 'BrowserWindow'));
      const options = detail<Record<string, unknown>>(offScreen.calls('BrowserWindow')[0]);
      assert.deepEqual([options.x, options.y, options.width, options.height], [undefined, undefined, 1280, 820]);
    } finally {
      await offScreen.drive({ action: 'close-window' });
      await offScreen.exited;
    }
  });

  test('a service killed outright: the tray says the window is not attached, and reads the site again once a service runs', async (t) => {
    const window = launchShell(env);
    try {
      await window.ready();
      const tooltips = () => window.calls('Tray.setToolTip').map((c) => detail<{ text: string }>(c).text);
      await window.waitFor('the first assessment', () => tooltips().length >= 2);
      const killed = readServiceRecord(dataDir)?.pid as number;
      process.kill(killed, 'SIGKILL');
      await window.waitFor('the tray to say so', () => tooltips().at(-1)?.startsWith('Outpost: not attached to the site service') === true);
      const links = () =>
        window
          .calls('webContents.send')
          .map((c) => detail<{ channel: string; message: unknown }>(c))
          .filter((s) => s.channel === 'outpost:link')
          .map((s) => s.message);
      await window.waitFor('the page to hear the link dropped', () => links().includes('reconnecting'));
      const ui = await outpostUi(t, dataDir, env);
      assert.notEqual(ui.printed.pid, killed);
      await window.waitFor('the tray to read the site again', () => /^Outpost: the site is critical/.test(tooltips().at(-1) ?? ''));
      // A new service numbers its events afresh: the page is told so, and fetches everything again.
      await window.waitFor('the page to hear of the restart', () => links().at(-1) === 'restarted');
      servicePid = ui.printed.pid;
      ui.child.kill('SIGINT');
    } finally {
      await window.drive({ action: 'close-window' });
      await window.exited;
    }
  });

  test('a confirmed "Stop the site service…" stops the service, then the window quits', async () => {
    const last = launchShell(env);
    await last.ready();
    await last.waitFor('the menu', (r) => r.some((c) => c.call === 'Menu.setApplicationMenu'));
    await last.drive({ action: 'answer-dialogs', response: 1 });
    await last.drive({ action: 'menu', label: 'Stop the site service…' });
    assert.equal(await last.exited, 0, last.output());
    assert.equal(last.calls('dialog.showErrorBox').length, 0, last.output());
    assert.equal(alive(servicePid), false, 'the service is gone');
  });
});

test('the compiled preload exposes exactly invoke, subscribe and pickFile, each over its one channel', () => {
  // The sandboxed preload is CommonJS and may require only `electron`: it gets a recording stand-in the same way.
  const require = createRequire(import.meta.url);
  const sent: unknown[][] = [];
  const exposed = new Map<string, Record<string, (...args: unknown[]) => unknown>>();
  const electronPath = require.resolve('electron');
  const preload = path.join(REPO_ROOT, 'dist', 'main', 'shell', 'electron', 'preload.cjs');
  const standIn = {
    contextBridge: { exposeInMainWorld: (name: string, api: Record<string, (...args: unknown[]) => unknown>) => exposed.set(name, api) },
    ipcRenderer: {
      invoke: (...args: unknown[]) => sent.push(['invoke', ...args]),
      send: (...args: unknown[]) => sent.push(['send', ...args]),
      on: (channel: string) => sent.push(['on', channel]),
      off: (channel: string) => sent.push(['off', channel]),
    },
  };
  const saved = require.cache[electronPath];
  require.cache[electronPath] = { id: electronPath, filename: electronPath, loaded: true, exports: standIn } as NodeJS.Module;
  try {
    delete require.cache[preload];
    require(preload);
  } finally {
    if (saved) require.cache[electronPath] = saved;
    else delete require.cache[electronPath];
  }
  assert.deepEqual([...exposed.keys()], ['outpost']);
  const api = exposed.get('outpost') ?? {};
  assert.deepEqual(Object.keys(api).sort(), ['invoke', 'pickFile', 'subscribe']);
  api.invoke?.('system.status', {});
  api.pickFile?.('open-trust-file');
  const unsubscribe = api.subscribe?.(() => undefined, 7) as () => void;
  unsubscribe();
  assert.deepEqual(sent, [
    ['invoke', 'outpost:invoke', 'system.status', {}],
    ['invoke', 'outpost:pick-file', 'open-trust-file'],
    ['on', 'outpost:event'],
    ['on', 'outpost:link'],
    ['send', 'outpost:subscribe', 7],
    ['off', 'outpost:event'],
    ['off', 'outpost:link'],
    ['send', 'outpost:unsubscribe'],
  ]);
});

test('a data dir of a newer schema: the window says why and what to do, then quits without opening', async (t) => {
  const dir = tempDir(t);
  const db = new Database(path.join(dir, 'outpost.db'));
  db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
  db.close();
  const refused = launchShell({ ...env, OUTPOST_HOME: dir, OUTPOST_STAND_IN_LOCK: path.join(dir, 'lock') });
  await refused.ready();
  assert.equal(await refused.exited, 0, refused.output());
  const box = detail<{ title: string; content: string }>(refused.calls('dialog.showErrorBox')[0]);
  assert.equal(box.title, 'Outpost cannot attach to the site');
  assert.match(box.content, /newer than this Outpost understands/);
  assert.equal(refused.calls('BrowserWindow').length, 0);
});
