import { createHash } from 'node:crypto';
import type { RecordChange } from '../../../shared/domain/sync.js';

export interface VersionedValue {
  kind: string;
  key: string;
  version: number;
  issuer: string;
  valueDigest: string;
}

export interface CurrentValue extends VersionedValue {
  origin: 'local' | 'imported';
}

/** JSON with object keys sorted at every level: the same value always digests the same, whoever wrote it. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

export function valueDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * The merge rule that makes import order irrelevant: a total order on
 * (version, value digest). The higher version wins; equal versions with
 * different values are a conflict, settled by the larger digest, so every
 * installation settles it the same way whatever arrived first.
 */
export function decide(incoming: VersionedValue, current: CurrentValue | undefined): RecordChange & { apply: boolean } {
  const base = { kind: incoming.kind, key: incoming.key, incomingVersion: incoming.version, currentVersion: current?.version ?? null };
  if (!current) return { ...base, change: 'new', resolution: null, apply: true };
  if (incoming.version > current.version) {
    const resolution = current.origin === 'local' ? `the local edit (version ${current.version}) is replaced: the higher version wins` : null;
    return { ...base, change: current.origin === 'local' ? 'conflict' : 'update', resolution, apply: true };
  }
  if (incoming.version < current.version) {
    return { ...base, change: 'superseded', resolution: `version ${current.version} is already here; version ${incoming.version} is ignored`, apply: false };
  }
  if (incoming.valueDigest === current.valueDigest) return { ...base, change: 'unchanged', resolution: null, apply: false };
  const incomingWins = incoming.valueDigest > current.valueDigest;
  return {
    ...base,
    change: 'conflict',
    resolution: `two different values carry version ${incoming.version}; the one with the larger digest is kept (${incomingWins ? 'incoming' : 'current'}) so every installation agrees`,
    apply: incomingWins,
  };
}
