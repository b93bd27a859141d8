import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import { isOutpostError } from '../../../shared/errors.js';
import { openCore, type Core } from '../../app/core.js';
import { rendererDir } from '../../platform/version.js';
import { defaultDataDir } from '../../platform/store/index.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL, SUBSCRIBE_CHANNEL, UNSUBSCRIBE_CHANNEL, createEventRelay, createIpcHandler } from './ipc.js';

// The Electron shell: a secure window over the same core as the CLI and the browser bridge.
const indexUrl = pathToFileURL(path.join(rendererDir(), 'index.html')).href;
const isOwnPage = (url: string) => url.split('#')[0] === indexUrl;

app.enableSandbox();
void app.whenReady().then(() => {
  let core: Core;
  try {
    core = openCore({ dataDir: defaultDataDir() });
    core.supervise();
  } catch (error) {
    // A bad data dir or a database from a newer Outpost: say what and what to do, then stop.
    const detail = isOutpostError(error) ? `${error.message}\n\n${error.hint ?? ''}` : String(error);
    dialog.showErrorBox('Outpost cannot start', detail);
    app.quit();
    return;
  }
  const handleInvoke = createIpcHandler(core.dispatcher, isOwnPage);
  // No permission (camera, notifications, …) is ever granted to the page.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, grant) => grant(false));
  ipcMain.handle(INVOKE_CHANNEL, (event, name: unknown, input: unknown) => handleInvoke(event.senderFrame?.url ?? '', name, input));
  // Events flow once the page asks (its preload is up), so nothing sent before it loaded is lost.
  const relay = createEventRelay(core.events, isOwnPage);
  ipcMain.on(SUBSCRIBE_CHANNEL, (event, after: unknown) => {
    const page = event.sender;
    relay.subscribe(page.id, event.senderFrame?.url ?? '', after, (message) => {
      if (!page.isDestroyed()) page.send(EVENT_CHANNEL, message);
    });
  });
  ipcMain.on(UNSUBSCRIBE_CHANNEL, (event) => relay.unsubscribe(event.sender.id));

  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Outpost',
    webPreferences: {
      preload: path.join(import.meta.dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  const pageId = window.webContents.id;
  // The window never navigates away from the app or opens new windows; links go to the OS browser.
  window.webContents.on('will-navigate', (event, url) => {
    if (!isOwnPage(url)) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https:')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.on('closed', () => relay.unsubscribe(pageId));
  app.on('window-all-closed', () => {
    core.close();
    app.quit();
  });
  void window.loadURL(`${indexUrl}#/overview`);
});
