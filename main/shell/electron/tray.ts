import { Menu, Tray, nativeImage, type NativeImage } from 'electron';
import { trayIconPng, type TrayState } from './tray-icon.js';

const LABEL: Record<TrayState, string> = { ok: 'the site is ok', warn: 'the site needs attention', critical: 'the site is critical', detached: 'not attached to the site service' };

export interface SiteTray {
  show(state: TrayState, summary: string): void;
  destroy(): void;
}

/** The site's state where the desktop keeps it in view: a coloured disc, a tooltip that says it, and a way back to the window. */
export function createSiteTray(actions: { showWindow: () => void; quit: () => void }): SiteTray {
  const icons = new Map<TrayState, NativeImage>();
  const icon = (state: TrayState): NativeImage => {
    let image = icons.get(state);
    if (!image) icons.set(state, (image = nativeImage.createFromBuffer(trayIconPng(state))));
    return image;
  };
  const tray = new Tray(icon('detached'));
  tray.setToolTip(`Outpost: ${LABEL.detached}`);
  tray.setContextMenu(Menu.buildFromTemplate([{ label: 'Show Outpost', click: actions.showWindow }, { type: 'separator' }, { label: 'Quit', click: actions.quit }]));
  tray.on('click', actions.showWindow);
  return {
    show(state, summary) {
      tray.setImage(icon(state));
      tray.setToolTip(`Outpost: ${LABEL[state]} — ${summary}`);
    },
    destroy: () => tray.destroy(),
  };
}
