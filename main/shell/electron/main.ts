import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, Notification, app, dialog, ipcMain, session } from 'electron';
import type { Alert } from '../../../shared/domain/telemetry.js';
import { isOutpostError } from '../../../shared/errors.js';
import { defaultDataDir } from '../../platform/store/index.js';
import { rendererDir } from '../../platform/version.js';
import { attachToSite } from '../service/attach.js';
import { stopService } from '../service/control.js';
import type { SiteConnection } from '../service/site-connection.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL, LINK_CHANNEL, PICK_FILE_CHANNEL, SUBSCRIBE_CHANNEL, UNSUBSCRIBE_CHANNEL, createEventRelay, createIpcHandler, createPickFileHandler, type FilePickDialog } from './ipc.js';
import { installApplicationMenu } from './menu.js';
import { lockSession } from './session-policy.js';
import { watchSite } from './site-watch.js';
import { createSiteTray } from './tray.js';
import { bringToFront, isOwnPage, openMainWindow, type AppPage } from './window.js';

// The Electron shell: a secure window attached to the data dir's site service. It never owns the site:
// closing the window detaches, and the router, the workers' supervision and sampling keep running.
const page: AppPage = {
  url: pathToFileURL(path.join(rendererDir(), 'index.html')).href,
  preload: path.join(import.meta.dirname, 'preload.cjs'),
};
const ownPage = (url: string): boolean => isOwnPage(page, url);
let window: BrowserWindow | null = null;

/** A data dir or a service this window cannot use (a newer schema, a service that would not start): say what and what to do. */
function refuse(reason: string, hint?: string): void {
  dialog.showErrorBox('Outpost cannot attach to the site', hint ? `${reason}\n\n${hint}` : reason);
  app.quit();
}

function serveThePage(site: SiteConnection) {
  const handleInvoke = createIpcHandler(site, ownPage);
  ipcMain.handle(INVOKE_CHANNEL, (event, name: unknown, input: unknown) => handleInvoke(event.senderFrame?.url ?? '', name, input));
  // Events flow once the page asks (its preload is up), so nothing sent before it loaded is lost.
  const relay = createEventRelay(site, ownPage);
  ipcMain.on(SUBSCRIBE_CHANNEL, (event, after: unknown) => {
    const contents = event.sender;
    relay.subscribe(contents.id, event.senderFrame?.url ?? '', after, (message) => {
      if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, message);
    });
  });
  ipcMain.on(UNSUBSCRIBE_CHANNEL, (event) => relay.unsubscribe(event.sender.id));
  const pickFile = createPickFileHandler(ownPage, showFileDialog);
  ipcMain.handle(PICK_FILE_CHANNEL, (event, pick: unknown) => pickFile(event.senderFrame?.url ?? '', pick));
  return relay;
}

const showFileDialog: FilePickDialog = async ({ kind, ...options }) => {
  if (kind === 'save') {
    const saved = await (window ? dialog.showSaveDialog(window, options) : dialog.showSaveDialog(options));
    return saved.canceled || !saved.filePath ? null : saved.filePath;
  }
  const opened = await (window ? dialog.showOpenDialog(window, { ...options, properties: ['openFile'] }) : dialog.showOpenDialog({ ...options, properties: ['openFile'] }));
  return opened.canceled ? null : (opened.filePaths[0] ?? null);
};

function announce(alert: Alert): void {
  if (!Notification.isSupported()) return;
  const notification = new Notification({ title: 'Outpost: critical alert', body: alert.message });
  notification.on('click', () => window && bringToFront(window));
  notification.show();
}

async function start(): Promise<void> {
  const dataDir = defaultDataDir();
  let site: SiteConnection;
  try {
    site = await attachToSite(dataDir, { start: true });
  } catch (error) {
    if (isOutpostError(error)) refuse(error.message, error.hint);
    else refuse(String(error));
    return;
  }
  lockSession(session.defaultSession);
  const relay = serveThePage(site);
  const opened = openMainWindow(page, dataDir);
  window = opened;
  const pageId = opened.webContents.id;
  opened.on('closed', () => {
    relay.unsubscribe(pageId);
    window = null;
  });
  const tray = createSiteTray({ showWindow: () => window && bringToFront(window), quit: () => app.quit() });
  const watch = watchSite({ site, onState: (state) => tray.show(state.level, state.summary), onNewCritical: announce });
  // The page hears of the link as a browser page hears of its socket: a restarted service means fetch again.
  const tellPage = (link: 'reconnecting' | 'live' | 'restarted') => {
    if (window && !window.webContents.isDestroyed()) window.webContents.send(LINK_CHANNEL, link);
  };
  let instance = site.attachedTo().instance;
  const stopListening = site.onState((state) => {
    if (state.state === 'attached') {
      tellPage(state.to.instance === instance ? 'live' : 'restarted');
      instance = state.to.instance;
      watch.refresh();
    } else if (state.state === 'reconnecting') {
      tellPage('reconnecting');
      tray.show('detached', state.reason);
    } else refuse(state.reason, state.hint);
  });
  installApplicationMenu({
    window: () => window,
    attachedTo: () => site.attachedTo(),
    stopSite: async () => void (await stopService(site.attachedTo().dataDir)),
    reload: () => window?.webContents.reload(),
    quit: () => app.quit(),
  });

  let detached: Promise<void> | null = null;
  const detach = (): Promise<void> =>
    (detached ??= (async () => {
      stopListening();
      watch.close();
      relay.closeAll();
      tray.destroy();
      // Quitting goes on whatever the connection says as it closes: the site does not depend on it.
      await site.close().catch(() => undefined);
    })());
  app.on('window-all-closed', () => void detach().finally(() => app.quit()));
  app.on('will-quit', (event) => {
    if (detached) return;
    event.preventDefault();
    void detach().finally(() => app.quit());
  });
}

app.enableSandbox();
if (!app.requestSingleInstanceLock()) {
  // Another Outpost window runs for this user: it comes to the front (its 'second-instance'), and this one leaves.
  app.quit();
} else {
  app.on('second-instance', () => window && bringToFront(window));
  void app.whenReady().then(start);
}
