import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, session, shell } from 'electron';
import { openCore } from '../../app/core.js';
import { rendererDir } from '../../app/version.js';
import { defaultDataDir } from '../../store/index.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL, createIpcHandler } from './ipc.js';

// The Electron shell: a secure window over the same core as the CLI and the browser bridge.
const core = openCore({ dataDir: defaultDataDir() });
const indexUrl = pathToFileURL(path.join(rendererDir(), 'index.html')).href;
const isOwnPage = (url: string) => url.split('#')[0] === indexUrl;
const handleInvoke = createIpcHandler(core.dispatcher, isOwnPage);

app.enableSandbox();
app.whenReady().then(() => {
  // No permission (camera, notifications, …) is ever granted to the page.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, grant) => grant(false));
  ipcMain.handle(INVOKE_CHANNEL, (event, name: unknown, input: unknown) => handleInvoke(event.senderFrame?.url ?? '', name, input));

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
  const unsubscribe = core.events.subscribe((message) => {
    if (!window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, message);
  });
  // The window never navigates away from the app or opens new windows; links go to the OS browser.
  window.webContents.on('will-navigate', (event, url) => {
    if (!isOwnPage(url)) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https:')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.on('closed', unsubscribe);
  void window.loadURL(`${indexUrl}#/overview`);
});

app.on('window-all-closed', () => {
  core.close();
  app.quit();
});
