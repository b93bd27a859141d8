import type { ParsedInput } from '../../shared/contract/index.js';
import type { ApiKeyInfo, Endpoint, RouterPolicy, RouterStatus } from '../../shared/domain/router.js';
import { OutpostError } from '../../shared/errors.js';
import type { JournalRecord } from '../platform/store/index.js';
import { formatApiKey, hashApiKey } from './core/api-keys.js';
import { classifyEndpointAddress } from './core/endpoint-address.js';
import type { RouterReportReader } from './adapters/router-files.js';
import type { RouterRepository } from './adapters/repository.js';

export interface RouterServiceDeps {
  repository: RouterRepository;
  reports: RouterReportReader;
  journal: { record(entry: JournalRecord): void };
  now: () => Date;
  /** A fresh key id (lower-case letters and digits) and secret (base64url), from a CSPRNG. */
  newKeyParts: () => { id: string; secret: string };
}

/** A router whose stats file is older than this is reported as not running. */
const STATS_FRESH_MS = 5_000;

/** The core's side of the router: its configuration in the store, and the router process's reports. */
export class RouterService {
  constructor(private readonly deps: RouterServiceDeps) {}

  endpoints(): Endpoint[] {
    return this.deps.repository.endpoints();
  }

  /** An address a site does not expect is refused unless confirmed: nothing is stored, so the router never probes it. */
  addEndpoint(input: ParsedInput<'router.endpoints.add'>): Endpoint {
    const address = classifyEndpointAddress(input.url);
    if (address.unexpected !== null && input.allowAddress !== true) {
      throw new OutpostError('INVALID_INPUT', `endpoint ${input.name}: ${input.url} points at ${address.host}, ${address.unexpected}`, `if the server really is at ${address.host}, add it again with --allow-address`);
    }
    const existing = this.deps.repository.endpoint(input.name);
    if (existing && !input.replace) {
      throw new OutpostError('CONFLICT', `an endpoint named ${input.name} already exists (${existing.url})`, 'pick another name, or pass --replace to change it');
    }
    const endpoint: Endpoint = {
      name: input.name,
      url: input.url.replace(/\/+$/, ''),
      tier: input.tier,
      models: [...new Set(input.models)],
      slots: input.slots,
      createdAt: existing?.createdAt ?? this.deps.now().toISOString(),
    };
    this.deps.repository.saveEndpoint(endpoint);
    return endpoint;
  }

  removeEndpoint(name: string): { removed: string } {
    if (!this.deps.repository.removeEndpoint(name)) throw notFoundEndpoint(name, this.endpoints());
    return { removed: name };
  }

  keys(): ApiKeyInfo[] {
    return this.deps.repository.keys();
  }

  addKey(input: ParsedInput<'router.keys.add'>): ApiKeyInfo & { key: string } {
    const { id, secret } = this.deps.newKeyParts();
    const key = formatApiKey(id, secret);
    const info: ApiKeyInfo = { id, app: input.app, models: input.models ? [...new Set(input.models)] : null, createdAt: this.deps.now().toISOString(), revokedAt: null };
    this.deps.repository.addKey(info, hashApiKey(key));
    return { ...info, key };
  }

  revokeKey(id: string): ApiKeyInfo {
    const found = this.deps.repository.key(id);
    if (!found) throw new OutpostError('NOT_FOUND', `there is no API key with id ${id}`, 'list the keys with `outpost router keys list`');
    if (found.revokedAt !== null) throw new OutpostError('CONFLICT', `the key ${id} (${found.app}) was already revoked at ${found.revokedAt}`, 'nothing to do');
    this.deps.repository.revokeKey(id, this.deps.now().toISOString());
    return this.deps.repository.key(id) as ApiKeyInfo;
  }

  policy(): RouterPolicy {
    return this.deps.repository.policy();
  }

  setPolicy(patch: Partial<RouterPolicy>): RouterPolicy {
    const next = { ...this.deps.repository.policy(), ...patch };
    this.deps.repository.savePolicy(next);
    return next;
  }

  /** The live view from the router process's stats file and the app's supervision of it, with the stored configuration. A pure read. */
  status(): RouterStatus {
    const stats = this.deps.reports.stats();
    const running = stats !== null && (this.deps.now().getTime() - Date.parse(stats.writtenAt) < STATS_FRESH_MS || this.deps.reports.recentlyWritten(STATS_FRESH_MS));
    return {
      running,
      stats,
      supervised: this.deps.reports.supervised(),
      endpoints: this.endpoints(),
      policy: this.policy(),
      configVersion: this.deps.repository.configVersion(),
      retriesPending: this.deps.reports.retriesSince(this.deps.repository.retriesOffset()).records.length,
    };
  }

  /** Copies the retries the router logged since the last copy into the ops journal, exactly once (offset and rows in one transaction). */
  journalRetries(): number {
    const { records, offset } = this.deps.reports.retriesSince(this.deps.repository.retriesOffset());
    if (records.length === 0 && offset === this.deps.repository.retriesOffset()) return 0;
    this.deps.repository.ingestRetries(offset, () => {
      for (const record of records) {
        const migration = record.kind === 'migration';
        this.deps.journal.record({
          actor: 'system',
          user: 'router',
          action: migration ? 'router.migration' : 'router.retry',
          input: record,
          outcome: 'error',
          errorCode: 'UNAVAILABLE',
          detail: migration
            ? `${record.failedEndpoint} failed after ${record.tokensSoFar ?? 0} tokens (${record.reason}); the stream continued on ${record.toEndpoint ?? 'another endpoint'}`
            : `${record.failedEndpoint} failed before the first byte (${record.reason}); retried elsewhere`,
        });
      }
    });
    return records.length;
  }
}

function notFoundEndpoint(name: string, endpoints: Endpoint[]): OutpostError {
  const known = endpoints.map((e) => e.name);
  return new OutpostError('NOT_FOUND', `there is no endpoint named ${name}`, known.length > 0 ? `known endpoints: ${known.join(', ')}` : 'no endpoint is registered yet');
}
