import { Menu, dialog, type BaseWindow, type MenuItemConstructorOptions } from 'electron';
import type { AttachedTo } from '../service/site-connection.js';

export interface MenuActions {
  window(): BaseWindow | null;
  attachedTo(): AttachedTo;
  /** Stops the site service itself: the router, the workers' supervision and sampling end for every window. */
  stopSite(): Promise<void>;
  reload: () => void;
  quit: () => void;
}

export function aboutText(to: AttachedTo): string {
  const where = to.kind === 'service' ? `the site service of this data dir (pid ${to.pid})` : `a site run inside this window's process (pid ${to.pid})`;
  return [`Version ${to.appVersion}`, `Database schema ${to.schemaVersion}`, `Data dir ${to.dataDir}`, `Attached to ${where}`].join('\n');
}

async function about(actions: MenuActions): Promise<void> {
  const options = { type: 'info' as const, title: 'About Outpost', message: 'Outpost', detail: aboutText(actions.attachedTo()), buttons: ['OK'] };
  const window = actions.window();
  await (window ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options));
}

/** Closing the window never stops the site; this does, and only after the user says so (Cancel is the default). */
async function confirmStop(actions: MenuActions): Promise<void> {
  const options = {
    type: 'warning' as const,
    title: 'Stop the site service',
    message: 'Stop the site service?',
    detail: 'The router stops answering applications, workers are no longer supervised and telemetry is no longer sampled until the service starts again (the next Outpost window or `outpost service run`).',
    buttons: ['Cancel', 'Stop the site service'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
  const window = actions.window();
  const { response } = await (window ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options));
  if (response !== 1) return;
  try {
    await actions.stopSite();
  } catch (error) {
    dialog.showErrorBox('The site service did not stop', error instanceof Error ? error.message : String(error));
    return;
  }
  actions.quit();
}

export function applicationMenuTemplate(actions: MenuActions): MenuItemConstructorOptions[] {
  return [
    {
      label: 'Outpost',
      submenu: [
        { label: 'About Outpost', click: () => void about(actions) },
        { type: 'separator' },
        { label: 'Stop the site service…', click: () => void confirmStop(actions) },
        { type: 'separator' },
        { label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: actions.quit },
      ],
    },
    { role: 'editMenu' },
    { label: 'View', submenu: [{ label: 'Reload', accelerator: 'CmdOrCtrl+R', click: actions.reload }] },
  ];
}

export function installApplicationMenu(actions: MenuActions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(applicationMenuTemplate(actions)));
}
