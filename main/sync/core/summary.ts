import type { BundleManifest, BundleSummary } from '../../../shared/domain/sync.js';

export function summarize(manifest: BundleManifest, manifestDigest: string): BundleSummary {
  return {
    issuer: manifest.issuer.siteId,
    issuerRole: manifest.issuer.role,
    recipient: manifest.recipient,
    sequence: manifest.sequence,
    manifestDigest,
    createdAt: manifest.createdAt,
    expiresAt: manifest.expiresAt,
    bytes: manifest.totals.bytes,
    chunks: manifest.totals.chunks,
    files: manifest.files.length,
    records: manifest.records.length,
    media: manifest.media.length,
  };
}
