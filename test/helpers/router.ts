import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { CallInput, CallName, CallOutput } from '../../shared/contract/index.js';
import type { RouterPolicy, Tier } from '../../shared/domain/router.js';
import { callContext, openCore, type Core } from '../../main/app/core.js';
import { startRouter, type RunningRouter } from '../../main/router/index.js';
import { startSimulatedUpstream, type PacingOptions, type SimulatedUpstream } from '../fixtures/simulated-openai-upstream.js';

export interface RouterSetup {
  dataDir: string;
  core: Core;
  call<K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>>;
  upstreams: SimulatedUpstream[];
  key: string;
  router: RunningRouter;
  url: string;
}

const quiet = { info: () => undefined, error: () => undefined };

/**
 * A data dir with real SQLite, simulated OpenAI upstreams on 127.0.0.1 registered
 * through the core's calls, an API key, and the router started from that store.
 */
export async function startRouterSetup(t: TestContext, options: { upstreams: Array<{ name: string; tier?: Tier; models?: string[]; slots?: number } & Partial<PacingOptions>>; policy?: Partial<RouterPolicy> }): Promise<RouterSetup> {
  // The data dir goes last, after the router that writes into it has stopped (one hook, in order).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'outpost-router-'));
  const core = openCore({ dataDir });
  const call = async <K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>> => {
    const envelope = await core.dispatcher.invoke(name, input, callContext('cli'));
    if (!envelope.ok) throw new Error(`${name}: ${envelope.error.code} ${envelope.error.message}`);
    return envelope.result as CallOutput<K>;
  };
  const upstreams = await Promise.all(options.upstreams.map((u) => startSimulatedUpstream(u)));
  for (const [i, u] of upstreams.entries()) {
    const spec = options.upstreams[i] as (typeof options.upstreams)[number];
    await call('router.endpoints.add', { name: u.name, url: u.url, tier: spec.tier ?? 'site', models: u.models, slots: spec.slots ?? 4 });
  }
  if (options.policy) await call('router.policy.set', options.policy);
  const { key } = await call('router.keys.add', { app: 'tests' });
  const router = await startRouter({ dataDir, databaseFile: core.layout.database, host: '127.0.0.1', port: 0, log: quiet, reloadPollMs: 50, statsIntervalMs: 200 });
  t.after(async () => {
    await router.close(200);
    await Promise.all(upstreams.map((u) => u.close()));
    core.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return { dataDir, core, call, upstreams, key, router, url: router.url };
}

/** Waits until the running router has loaded the store's current config version. */
export async function routerCaughtUp(setup: RouterSetup): Promise<void> {
  const wanted = (await setup.call('router.status', {})).configVersion;
  for (let i = 0; i < 100 && setup.router.configVersion() < wanted; i += 1) await new Promise((r) => setTimeout(r, 20));
  if (setup.router.configVersion() < wanted) throw new Error(`the router did not reach config version ${wanted}`);
}

export async function post(url: string, key: string | null, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // an SSE body stays text
  }
  return { status: response.status, json, headers: response.headers };
}

export function errorOf(json: unknown): { message: string; type: string; code: string } {
  return (json as { error: { message: string; type: string; code: string } }).error;
}
