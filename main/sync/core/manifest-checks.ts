import { KINDS_BY_ROLE, LIMITS, type BundleManifest } from '../../../shared/domain/sync.js';
import { formatBytes } from '../../../shared/units.js';
import { OutpostError } from '../../../shared/errors.js';

const MAX_VALIDITY_MS = 366 * 24 * 3600 * 1000;

function refuse(message: string, hint = 'ask the sender for a new bundle; nothing was imported'): never {
  throw new OutpostError('INVALID_INPUT', message, hint);
}

/**
 * The manifest's internal consistency, checked after the signature and the
 * schema and before any chunk is read: sizes add up, every chunk has one size,
 * media carry only chunks some file needs, each kind of record comes from a
 * role allowed to issue it, and the declared totals stay within the limits
 * (an "endless data" manifest is refused here, not after filling the disk).
 */
export function checkManifest(manifest: BundleManifest): { unpackedBytes: number; chunkSizes: Map<string, number> } {
  const chunkSizes = new Map<string, number>();
  let unpackedBytes = 0;
  let chunkRefs = 0;
  const listed = new Set<string>();
  for (const file of manifest.files) {
    // Each file is assembled once under its digest: a second entry could only be a confused or hostile manifest.
    if (listed.has(file.digest)) refuse(`file ${file.digest.slice(0, 12)}… is listed twice`);
    listed.add(file.digest);
    let sum = 0;
    for (const [digest, size] of file.chunks) {
      const known = chunkSizes.get(digest);
      if (known !== undefined && known !== size) refuse(`chunk ${digest.slice(0, 12)}… is declared with two sizes (${known} and ${size})`);
      chunkSizes.set(digest, size);
      sum += size;
    }
    chunkRefs += file.chunks.length;
    if (sum !== file.size) refuse(`file ${file.digest.slice(0, 12)}… declares ${file.size} bytes but its chunks add up to ${sum}`);
    unpackedBytes += file.size;
  }
  if (unpackedBytes > LIMITS.bundleBytes || manifest.totals.bytes > LIMITS.bundleBytes) {
    refuse(`the bundle declares ${formatBytes(Math.max(unpackedBytes, manifest.totals.bytes))}, more than the ${formatBytes(LIMITS.bundleBytes)} a bundle may hold`);
  }
  if (chunkRefs > LIMITS.chunks || manifest.totals.chunks > LIMITS.chunks) {
    refuse(`the bundle declares ${Math.max(chunkRefs, manifest.totals.chunks)} chunks, more than the ${LIMITS.chunks} a bundle may hold`);
  }
  const carried = new Set<string>();
  let carriedBytes = 0;
  for (const medium of manifest.media) {
    for (const digest of medium.chunks) {
      const size = chunkSizes.get(digest);
      if (size === undefined) refuse(`a medium carries chunk ${digest.slice(0, 12)}… that no file uses`);
      if (carried.has(digest)) refuse(`chunk ${digest.slice(0, 12)}… is carried twice`);
      carried.add(digest);
      carriedBytes += size;
    }
  }
  if (carriedBytes !== manifest.totals.bytes || carried.size !== manifest.totals.chunks) {
    refuse(`the totals (${manifest.totals.chunks} chunks, ${manifest.totals.bytes} bytes) do not match the media (${carried.size} chunks, ${carriedBytes} bytes)`);
  }
  const created = Date.parse(manifest.createdAt);
  const expires = Date.parse(manifest.expiresAt);
  if (!(expires > created) || expires - created > MAX_VALIDITY_MS) refuse("the bundle's validity window is empty or longer than a year");
  const allowed = KINDS_BY_ROLE[manifest.issuer.role];
  const files = new Map(manifest.files.map((f) => [f.digest, f.size]));
  for (const record of manifest.records) {
    if (record.issuer !== manifest.issuer.siteId) refuse(`record ${record.kind}/${record.key} names issuer ${record.issuer}, but the bundle is from ${manifest.issuer.siteId}`);
    if (!allowed.includes(record.kind)) refuse(`a ${manifest.issuer.role} may not issue ${record.kind} records (${record.key})`);
    if (record.kind === 'model') {
      for (const file of record.value.files) {
        if (files.get(file.digest) !== file.size) refuse(`model ${record.key} names file ${file.path} that the bundle does not carry with that size`);
      }
    }
  }
  if (manifest.recipient === '*' && manifest.issuer.role !== 'hq') refuse('only HQ may address a bundle to every site');
  return { unpackedBytes, chunkSizes };
}
