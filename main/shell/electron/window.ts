import { BrowserWindow, screen, shell } from 'electron';
import { readWindowBounds, writeWindowBounds } from './bounds.js';

export interface AppPage {
  /** The app's own page (file:// URL of the built renderer's index.html), without a fragment. */
  url: string;
  /** The sandboxed preload that exposes invoke/subscribe. */
  preload: string;
}

export const isOwnPage = (page: AppPage, url: string): boolean => url.split('#')[0] === page.url;

/** Only https links leave the app, and only to the system browser; anything else goes nowhere. */
export function openInSystemBrowser(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  if (parsed.protocol === 'https:') void shell.openExternal(parsed.href);
}

/** The page may never leave itself: a navigation or redirect elsewhere is stopped, and an https link opens outside. */
function lockNavigation(window: BrowserWindow, page: AppPage): void {
  const stay = (event: { url: string; preventDefault(): void }): void => {
    if (isOwnPage(page, event.url)) return;
    event.preventDefault();
    openInSystemBrowser(event.url);
  };
  window.webContents.on('will-navigate', stay);
  window.webContents.on('will-redirect', (event) => {
    if (!isOwnPage(page, event.url)) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    openInSystemBrowser(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Bounds are kept only when the window closes normally: a size, a place and whether it was maximised. */
function rememberBounds(window: BrowserWindow, dataDir: string): void {
  window.on('close', () => {
    try {
      writeWindowBounds(dataDir, { ...window.getNormalBounds(), maximized: window.isMaximized() });
    } catch {
      // A read-only or vanished data dir costs the next window its place, nothing more.
    }
  });
}

/** The one window: sandboxed, isolated, no Node, no webview, where it was last left when that is still on a screen. */
export function openMainWindow(page: AppPage, dataDir: string): BrowserWindow {
  const bounds = readWindowBounds(
    dataDir,
    screen.getAllDisplays().map((display) => display.workArea),
  );
  const window = new BrowserWindow({
    ...(bounds ? { x: bounds.x, y: bounds.y, width: bounds.width, height: bounds.height } : { width: 1280, height: 820 }),
    title: 'Outpost',
    show: false,
    webPreferences: {
      preload: page.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      allowRunningInsecureContent: false,
    },
  });
  lockNavigation(window, page);
  rememberBounds(window, dataDir);
  window.once('ready-to-show', () => {
    if (bounds?.maximized) window.maximize();
    window.show();
  });
  void window.loadURL(`${page.url}#/overview`);
  return window;
}

/** A second launch brings this window back instead of opening another. */
export function bringToFront(window: BrowserWindow): void {
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
