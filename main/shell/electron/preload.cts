// Sandboxed preload: CommonJS, and only `electron` may be required here.
// It exposes exactly the contract's generic surface — invoke(name, input) and
// subscribe(listener) — and the native file dialog (pickFile: a path or null),
// and no Node or Electron object.
import electron = require('electron');

const { contextBridge, ipcRenderer } = electron;

const INVOKE_CHANNEL = 'outpost:invoke';
const EVENT_CHANNEL = 'outpost:event';
const SUBSCRIBE_CHANNEL = 'outpost:subscribe';
const UNSUBSCRIBE_CHANNEL = 'outpost:unsubscribe';
const LINK_CHANNEL = 'outpost:link';
const PICK_FILE_CHANNEL = 'outpost:pick-file';

contextBridge.exposeInMainWorld('outpost', {
  invoke: (name: string, input: unknown) => ipcRenderer.invoke(INVOKE_CHANNEL, name, input),
  // `pick`: which dialog ('open-trust-file' | 'save-trust-file'); main refuses any other.
  pickFile: (pick: string) => ipcRenderer.invoke(PICK_FILE_CHANNEL, pick),
  // `after`: the last event seq the page saw (0: everything the core still holds). `onLink`: the link to the
  // site service dropped ('reconnecting'), came back ('live'), or came back to a restarted service ('restarted').
  subscribe: (listener: (message: unknown) => void, after?: number, onLink?: (state: unknown) => void) => {
    const forward = (_event: electron.IpcRendererEvent, message: unknown) => listener(message);
    const forwardLink = (_event: electron.IpcRendererEvent, state: unknown) => onLink?.(state);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    ipcRenderer.on(LINK_CHANNEL, forwardLink);
    ipcRenderer.send(SUBSCRIBE_CHANNEL, after ?? 0);
    return () => {
      ipcRenderer.off(EVENT_CHANNEL, forward);
      ipcRenderer.off(LINK_CHANNEL, forwardLink);
      ipcRenderer.send(UNSUBSCRIBE_CHANNEL);
    };
  },
});
