import type { TestContext } from 'node:test';
import { openCore, type Core } from '../../main/app/core.js';
import { rendererDir } from '../../main/platform/version.js';
import { startBridge, type Bridge } from '../../main/shell/bridge/server.js';
import { atTestEnd } from './temp.js';

/** An in-process core on a temp data dir with the real bridge in front of it. */
export async function startTestBridge(t: TestContext, dataDir: string): Promise<{ core: Core; bridge: Bridge }> {
  const core = openCore({ dataDir });
  const bridge = await startBridge({ dispatcher: core.dispatcher, events: core.events, log: core.log, staticDir: rendererDir() });
  atTestEnd(t, async () => {
    await bridge.close();
    core.close();
  });
  return { core, bridge };
}

export async function postCall(bridge: Bridge, name: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${bridge.port}/rpc/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bridge.token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { ok: boolean; result?: unknown; error?: { code: string; message: string; hint?: string } } };
}
