// Sandboxed preload: CommonJS, and only `electron` may be required here.
// It exposes exactly the contract's generic surface — invoke(name, input) and
// subscribe(listener) — and no Node or Electron object.
import electron = require('electron');

const { contextBridge, ipcRenderer } = electron;

const INVOKE_CHANNEL = 'outpost:invoke';
const EVENT_CHANNEL = 'outpost:event';

contextBridge.exposeInMainWorld('outpost', {
  invoke: (name: string, input: unknown) => ipcRenderer.invoke(INVOKE_CHANNEL, name, input),
  subscribe: (listener: (message: unknown) => void) => {
    const forward = (_event: electron.IpcRendererEvent, message: unknown) => listener(message);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => ipcRenderer.off(EVENT_CHANNEL, forward);
  },
});
