import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { callContext, openCore, type Core } from '../../main/app/core.js';
import { BUNDLE_PAYLOAD_TYPE, type BundleManifest } from '../../shared/domain/sync.js';
import type { CallInput, CallName, CallOutput } from '../../shared/contract/index.js';
import type { ErrorInfo } from '../../shared/errors.js';
import { envelopeFor, signEd25519Pem } from '../../main/sync/index.js';
import { seededRandom } from './seeded-random.js';
import { tempDir } from './temp.js';

/** A test clock every installation in a test shares, so expiry can be reached without waiting. */
export class TestClock {
  constructor(public ms = Date.parse('2025-03-01T08:00:00.000Z')) {}
  now = (): Date => new Date(this.ms);
  advanceDays(days: number): void {
    this.ms += days * 86_400_000;
  }
}

export class Installation {
  constructor(
    readonly core: Core,
    readonly dataDir: string,
    readonly siteId: string,
  ) {}

  async call<K extends CallName>(name: K, input: CallInput<K>, signal?: AbortSignal): Promise<CallOutput<K>> {
    const envelope = await this.core.dispatcher.invoke(name, input, callContext('cli', signal));
    if (!envelope.ok) throw Object.assign(new Error(`${envelope.error.message} — ${envelope.error.hint ?? ''}`), { info: envelope.error });
    return envelope.result as CallOutput<K>;
  }

  /** The error a call answers with (fails the test if it succeeds). */
  async refusal<K extends CallName>(name: K, input: CallInput<K>): Promise<ErrorInfo> {
    const envelope = await this.core.dispatcher.invoke(name, input, callContext('cli'));
    if (envelope.ok) throw new Error(`${name} was expected to fail but succeeded`);
    return envelope.error;
  }

  /** Everything import may change, to prove a refused or repeated import changed nothing. */
  state(): string {
    const db = (sql: string) => JSON.stringify(queryAll(this.dataDir, sql));
    const models = fs.existsSync(path.join(this.dataDir, 'models')) ? fs.readdirSync(path.join(this.dataDir, 'models')).sort() : [];
    return [
      db('SELECT kind, key, version, issuer, value_digest, origin FROM sync_records ORDER BY kind, key'),
      db('SELECT * FROM bundles_seen ORDER BY issuer, sequence'),
      db('SELECT site_id, fingerprint FROM trusted_peers'),
      db('SELECT count(*) FROM bundle_exchanges'),
      db('SELECT count(*) FROM stored_files'),
      JSON.stringify(models),
    ].join('\n');
  }

  signingPem(): string {
    return fs.readFileSync(path.join(this.dataDir, 'keys', 'signing-ed25519.pem'), 'utf8');
  }
}

function queryAll(dataDir: string, sql: string): unknown[] {
  const db = new Database(path.join(dataDir, 'outpost.db'), { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

export async function installation(t: TestContext, root: string, siteId: string, role: 'site' | 'hq', clock: TestClock): Promise<Installation> {
  const dataDir = path.join(root, siteId);
  const core = openCore({ dataDir, now: clock.now });
  t.after(() => core.close());
  const inst = new Installation(core, dataDir, siteId);
  await inst.call('identity.init', { siteId, role });
  return inst;
}

/** `a` pins `b` from b's trust file, as `outpost trust add --yes` does; the file lies beside the data dirs, as on a USB stick. */
export async function pin(a: Installation, b: Installation): Promise<void> {
  const file = path.join(path.dirname(a.dataDir), `${b.siteId}-for-${a.siteId}.trust.json`);
  fs.writeFileSync(file, JSON.stringify(await b.call('sync.trustExport', {})));
  const seen = await a.call('sync.trustInspect', { path: file });
  await a.call('sync.trustAdd', { path: file, fingerprint: seen.fingerprint });
}

export async function hqAndSite(t: TestContext, clock = new TestClock()): Promise<{ root: string; hq: Installation; site: Installation; clock: TestClock }> {
  const root = tempDir(t, 'outpost-sync-');
  const hq = await installation(t, root, 'hq-main', 'hq', clock);
  const site = await installation(t, root, 'site-a', 'site', clock);
  await pin(site, hq);
  await pin(hq, site);
  return { root, hq, site, clock };
}

/** xorshift32 bytes: reproducible model files, never Math.random. */
export function seededBytes(length: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += 1) out[i] = random.next() & 0xff;
  return out;
}

export const POLICY = {
  routing: { defaultModel: 'tiny', tiers: [{ name: 'site' as const, models: ['tiny'] }], failover: { maxAttempts: 2, retryOnStatus: [502, 503] } },
  planner: { objective: 'throughput' as const, maxMemoryFill: 0.9, preferredQuants: ['Q4_K_M'] },
};

export function readManifest(mediumDir: string): BundleManifest {
  const envelope = JSON.parse(fs.readFileSync(path.join(mediumDir, 'envelope.json'), 'utf8')) as { payload: string };
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as BundleManifest;
}

/** Rewrites a medium's manifest and signs it with a real key: the attacks that get past the signature. */
export function resign(mediumDir: string, manifest: unknown, pem: string, keyid: string): void {
  const envelope = Buffer.from(`${JSON.stringify(envelopeFor(BUNDLE_PAYLOAD_TYPE, Buffer.from(JSON.stringify(manifest)), keyid, (m) => signEd25519Pem(pem, m)))}\n`);
  fs.writeFileSync(path.join(mediumDir, 'envelope.json'), envelope);
  const descriptorFile = path.join(mediumDir, 'medium.json');
  const descriptor = JSON.parse(fs.readFileSync(descriptorFile, 'utf8')) as Record<string, unknown>;
  descriptor.manifestDigest = createHash('sha256').update(envelope).digest('hex');
  fs.writeFileSync(descriptorFile, JSON.stringify(descriptor));
}
