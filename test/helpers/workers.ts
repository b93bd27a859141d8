// Shared steps of the Workers tests: a data dir with a site key, a simulated site running the real engine,
// discovered, and a plan of the tiny model across its hosts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallInput, CallName, CallOutput, EventMessage } from '../../shared/contract/index.js';
import { callContext, openCore, type Core } from '../../main/app/core.js';
import { tinyGguf } from '../fixtures/gguf/tiny-gguf.js';
import { commonFreePort } from './sshd.js';
import { startWorkersSite, type WorkersSiteOptions } from '../fixtures/workers-site/workers-site.js';
import type { SimulatedSite } from '../fixtures/simulated-site/simulated-site.js';

export interface WorkersBench {
  dataDir: string;
  core: Core;
  site: SimulatedSite;
  events: EventMessage[];
  call<K extends CallName>(name: K, input: CallInput<K>, signal?: AbortSignal): Promise<CallOutput<K>>;
  /** A stored plan of the tiny model with one stage per named host (CPU boxes with a slow memory bus). */
  plan(nodes: readonly string[], modelFile?: string): Promise<string>;
  nodeNames(): Promise<string[]>;
  modelFile: string;
  close(): Promise<void>;
}

/**
 * `seed` picks the tiny model's weights, so each test file has its own model digest: the simulated hosts share
 * one login home, and a copy left there by another test must not stand in for this file's own copy.
 */
export async function startWorkersBench(
  options: Omit<WorkersSiteOptions, 'authorizedKey' | 'port'> & {
    firstAddress: number;
    seed: number;
    /** An empty data dir the caller made and removes itself (e.g. on its own mount); a fresh temp dir otherwise. */
    dataDir?: string;
  },
): Promise<WorkersBench> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'outpost-workers-'));
  const core = openCore({ dataDir });
  const events: EventMessage[] = [];
  core.events.subscribe((m) => void events.push(m));
  const call = async <K extends CallName>(name: K, input: CallInput<K>, signal?: AbortSignal): Promise<CallOutput<K>> => {
    const envelope = await core.dispatcher.invoke(name, input, callContext('cli', signal));
    if (!envelope.ok) {
      // An internal error is logged with its detail, never shown: bring the log line into the test's failure.
      const detail = envelope.error.code === 'INTERNAL' ? `\n${readFileSync(path.join(core.layout.logs, 'outpost.log'), 'utf8').trim().split('\n').slice(-3).join('\n')}` : '';
      throw Object.assign(new Error(`${name}: ${envelope.error.message}${detail}`), { code: envelope.error.code, hint: envelope.error.hint });
    }
    return envelope.result as CallOutput<K>;
  };
  await call('identity.init', { siteId: 'workers-test' });
  const addresses = Object.keys(options.profiles).map((_, i) => `127.0.0.${options.firstAddress + i}`);
  const port = await commonFreePort(addresses, process.pid + options.firstAddress);
  const site = await startWorkersSite({ ...options, port, authorizedKey: readFileSync(path.join(dataDir, 'keys/id_ed25519.pub'), 'utf8') });
  const scan = await call('discovery.scan', { targets: addresses.join(','), user: site.user, port, concurrency: 8, timeoutMs: 10_000 });
  assert.equal(scan.counts.inventoried, addresses.length, JSON.stringify(scan.hosts));
  const modelFile = path.join(dataDir, 'outpost-tiny.gguf');
  const model = tinyGguf(options.seed);
  writeFileSync(modelFile, model);
  const copied = `/home/${site.user}/.outpost/models/${createHash('sha256').update(model).digest('hex')}.gguf`;
  for (const file of [copied, `${copied}.partial`, `${copied}.outpost-sha256`]) rmSync(file, { force: true });
  const nodeNames = async (): Promise<string[]> => (await call('discovery.nodes', {})).map((n) => n.name);
  return {
    dataDir,
    core,
    site,
    events,
    call,
    modelFile,
    nodeNames,
    plan: async (nodes, file = modelFile) => {
      // The tiny model's layers are so small that any real figures put it on one host; a slow memory bus per
      // box (an override the planner takes for any device) makes the split worth its hop, as for a big model.
      const { planId, plan } = await call('planner.plan', {
        model: file,
        context: 2048,
        parallel: nodes.length,
        devices: nodes.map((node) => ({ gpu: 'CPU', node, memoryGB: 2, bandwidthGBs: 1 })),
        nodes: nodes.map((name) => ({ name })),
      });
      assert.ok(planId && plan.feasible);
      assert.deepEqual(new Set(plan.stages.map((s) => s.node)).size, nodes.length, 'one stage per host');
      return planId;
    },
    close: async () => {
      core.close();
      await site.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Pids of live processes carrying a deployment's worker tag: what must be gone after a stop. */
export function taggedProcesses(deploymentId: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (
        readFileSync(`/proc/${name}/environ`, 'latin1')
          .split('\0')
          .some((v) => v.startsWith(`OUTPOST_WORKER=${deploymentId}/`))
      )
        found.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

type Falsy = false | null | undefined | 0 | '';

export async function until<T>(what: string, probe: () => T | Falsy | Promise<T | Falsy>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
