import type { SiteIdentity } from '../../../shared/domain/identity.js';
import type { WorkstationInventory } from '../../../shared/domain/workstation.js';
import type { SystemStatus } from '../../../shared/domain/status.js';
import type { JournalEntry } from '../../../shared/domain/journal.js';

import { formatBytes } from '../../../shared/units.js';

/** Human-readable renderings for a terminal; `--json` prints the contract's output instead. */
function rows(pairs: Array<[string, string]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

export function formatIdentity(identity: SiteIdentity, privateSshKeyPath: string): string {
  const retired = identity.history.filter((k) => k.retiredAt !== null);
  return rows([
    ['Site', `${identity.siteId} (${identity.role})`],
    ['Created', identity.createdAt],
    ['Signing key', `ed25519 ${identity.signingKey.fingerprint}`],
    ['SSH key', `ed25519 ${identity.sshKey.fingerprint}`],
    ['SSH public', identity.sshKey.publicKey],
    ['SSH private', `${privateSshKeyPath} (never leaves this machine)`],
    ['Key history', retired.length === 0 ? 'no retired keys' : retired.map((k) => `${k.kind} ${k.fingerprint} retired ${k.retiredAt}`).join('\n             ')],
  ]);
}

export function formatWorkstation(inv: WorkstationInventory): string {
  const disks = inv.disks.map((d) => `${d.mount} ${d.type} ${formatBytes(d.sizeBytes)}, ${Math.round((100 * d.usedBytes) / Math.max(1, d.sizeBytes))}% used`);
  const gpus = inv.gpus.map((g) => `${g.model}${g.vramMiB ? ` ${formatBytes(g.vramMiB * 2 ** 20)}` : ''}${g.driverVersion ? `, driver ${g.driverVersion}` : ''}`);
  const lines: Array<[string, string]> = [
    ['Host', `${inv.hostname} — ${inv.os.distro} ${inv.os.release} (kernel ${inv.os.kernel}, ${inv.os.arch})`],
    ['CPU', `${inv.cpu.manufacturer} ${inv.cpu.brand} — ${inv.cpu.logicalCores} logical / ${inv.cpu.physicalCores} physical cores${inv.cpu.speedGHz ? ` @ ${inv.cpu.speedGHz} GHz` : ''}`],
    ['Memory', `${formatBytes(inv.memory.totalBytes)} total, ${formatBytes(inv.memory.availableBytes)} available`],
    ['Disks', disks.length ? disks.join('\n       ') : 'none found'],
    ['GPUs', gpus.length ? gpus.join('\n       ') : 'none found'],
  ];
  if (inv.warnings.length) lines.push(['Warnings', inv.warnings.join('\n          ')]);
  return rows(lines);
}

export function formatStatus(status: SystemStatus): string {
  return rows([
    ['Site', status.site ? `${status.site.siteId} (${status.site.role})` : 'no identity yet — run `outpost keys init`'],
    ['Data dir', status.dataDir],
    ['Schema', `version ${status.schemaVersion}`],
    ['Last bundle', status.lastBundleExchangeAt ? `${status.lastBundleExchangeAt} (${status.hoursSinceLastExchange?.toFixed(1)} h ago, limit ${status.offlineLimitHours} h)` : 'no bundle exchanged yet'],
  ]);
}

export function formatJournal(entries: JournalEntry[]): string {
  if (entries.length === 0) return 'the journal is empty';
  return entries.map((e) => `${e.at}  ${e.actor.padEnd(8)} ${e.user.padEnd(10)} ${e.action.padEnd(20)} ${e.outcome}${e.errorCode ? ` ${e.errorCode}: ${e.detail ?? ''}` : ''}`).join('\n');
}
