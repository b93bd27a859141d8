import { OutpostError } from '../../../shared/errors.js';
import { shellQuote } from '../../platform/ssh/core/shell-quote.js';
import type { Clock, LocalModel, RemoteHosts } from './ports.js';
import { parsePreflight, preflightScript } from './preflight.js';
import { TransferMeter, type TransferReading } from './transfer-meter.js';

export type CopyProgress = (message: string, fraction: number | null, transfer?: TransferReading) => void;

/** A copy whose result fails the digest is thrown away and made once more before the launch gives up. */
const ATTEMPTS = 2;
const DIGEST_TIMEOUT_MS = 600_000;

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/**
 * Puts `model` at `path` on `node` unless it is already there with its digest: through the SSH layer's copy (OpenSSH's sftp for large files, else the pipelined SFTP upload)
 * (resumed from a partial copy whose digest matches the file's start), with bytes, MB/s and ETA in the progress,
 * then the copy's digest read on the host. A copy that does not match is removed and made afresh once.
 */
export async function copyModel(hosts: RemoteHosts, clock: Clock, model: LocalModel, node: string, path: string, progress: CopyProgress, signal: AbortSignal): Promise<void> {
  const digestOnHost = async (what: string) => parsePreflight(await hosts.check(node, preflightScript({ binaries: [], modelPath: path }), what, { signal, timeoutMs: DIGEST_TIMEOUT_MS })).model;
  // Hosts may share a home (NFS): an earlier copy of this launch may already have put the file there.
  if ((await digestOnHost('checking the model'))?.sha256 === model.sha256) return;
  const what = `copying ${model.name} to ${node}`;
  progress(what, 0);
  await hosts.check(node, `mkdir -p ${shellQuote(path.slice(0, path.lastIndexOf('/')))}`, 'creating the model folder', { signal });
  for (let attempt = 1; ; attempt += 1) {
    let meter: TransferMeter | null = null;
    const outcome = await hosts.upload(node, model.path, path, {
      signal,
      onStart: (resumedFrom, total) => {
        meter = new TransferMeter(total, resumedFrom, clock.elapsedMs());
        if (resumedFrom > 0) progress(`${what}: resuming after the ${mb(resumedFrom)} an earlier copy left`, total ? resumedFrom / total : 1);
      },
      onProgress: (done, total) => {
        const reading = (meter ?? (meter = new TransferMeter(total, 0, clock.elapsedMs()))).record(clock.elapsedMs(), done);
        if (reading) progress(what, total ? done / total : 1, reading);
      },
    });
    if (outcome.discardedPartial > 0) progress(`${what}: the partial copy left there (${mb(outcome.discardedPartial)}) did not match the model's start by digest, so it was copied afresh`, 1);
    if (outcome.sha256 !== model.sha256) {
      await hosts.run(node, `rm -f ${shellQuote(path)}`);
      throw new OutpostError('CONFLICT', `${model.path} changed while it was copied (sha256 ${outcome.sha256.slice(0, 12)}…, planned ${model.sha256.slice(0, 12)}…); the copy on ${node} was removed`, 'plan again with the file as it is now');
    }
    const copied = await digestOnHost('checking the copied model');
    if (copied?.sha256 === model.sha256) return;
    await hosts.run(node, `rm -f ${shellQuote(path)} ${shellQuote(`${path}.outpost-sha256`)} ${shellQuote(`${path}.partial`)}`);
    const found = `the model copied to ${node} has digest ${copied?.sha256.slice(0, 12) ?? 'none'}…, expected ${model.sha256.slice(0, 12)}…`;
    if (attempt >= ATTEMPTS) throw new OutpostError('UNAVAILABLE', `${found} again after a fresh copy; it was removed`, `check ${node}'s disk, then launch again`);
    progress(`${found}; removed, copying afresh`, 0);
  }
}
