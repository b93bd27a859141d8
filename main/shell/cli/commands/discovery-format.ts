import type { RemoteNode, ScanCounts, ScanHost, ScanResult } from '../../../../shared/domain/discovery.js';
import { formatBytes } from '../../../../shared/units.js';

export function formatCounts(c: ScanCounts): string {
  return `probed ${c.probed}/${c.total} · live ${c.live} · inventoried ${c.inventoried} · failed ${c.failed}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0))).join('  ')).join('\n');
}

const endpoint = (h: { address: string; port: number }): string => `${h.address}:${h.port}`;

function hostLine(h: ScanHost): string[] {
  const what = h.outcome === 'inventoried' ? h.changes.map((c) => `${c.change} ${c.subject}: ${c.detail}`).join('; ') || 'no change' : (h.reason ?? '');
  return [h.node ?? '-', endpoint(h), h.outcome, what];
}

export function formatHostLine(h: ScanHost): string {
  return hostLine(h).filter(Boolean).join('  ');
}

export function formatScan(result: ScanResult): string {
  const seconds = ((Date.parse(result.finishedAt) - Date.parse(result.startedAt)) / 1000).toFixed(1);
  const head = `${result.outcome === 'cancelled' ? 'Cancelled' : 'Scanned'} ${result.counts.total} address(es) in ${seconds} s: ${formatCounts(result.counts)}`;
  if (result.hosts.length === 0) return `${head}\nno SSH host answered`;
  return `${head}\n${table([['NODE', 'ENDPOINT', 'OUTCOME', 'DETAIL'], ...result.hosts.map(hostLine)])}`;
}

function gpuSummary(node: RemoteNode): string {
  const inv = node.inventory;
  if (inv.gpuStatus === 'driver-error') return `driver error: ${inv.gpuError ?? ''}`.slice(0, 60);
  if (inv.gpus.length === 0) return 'none';
  const groups = new Map<string, number>();
  for (const g of inv.gpus) {
    const label = `${g.name}${g.memoryTotalMiB !== null ? ` ${formatBytes(g.memoryTotalMiB * 2 ** 20)}` : ''}${g.migDevices.length ? ` (MIG ×${g.migDevices.length})` : ''}`;
    groups.set(label, (groups.get(label) ?? 0) + 1);
  }
  return [...groups].map(([label, n]) => `${n}× ${label}`).join(', ');
}

export function formatNodes(nodes: RemoteNode[]): string {
  if (nodes.length === 0) return 'no nodes yet — run `outpost discover <cidr|host> --user <user>`';
  const unreadable = nodes.flatMap((n) => n.inventory.warnings.map((w) => `  ${n.name}: ${w}`));
  return `${nodeTable(nodes)}${unreadable.length > 0 ? `\nNot read, or refused as unreadable:\n${unreadable.join('\n')}` : ''}`;
}

function nodeTable(nodes: RemoteNode[]): string {
  return table([
    ['NAME', 'ENDPOINT', 'GPUS', 'RAM', 'ENGINES', 'MODELS', 'HOST KEY', 'LAST SEEN'],
    ...nodes.map((n) => [
      n.name,
      endpoint(n),
      gpuSummary(n),
      n.inventory.memory.totalBytes === null ? '?' : formatBytes(n.inventory.memory.totalBytes),
      n.inventory.engines.map((e) => `${e.engine}${e.version ? ` ${e.version.split(' ')[0]}` : ''}`).join(', ') || '-',
      String(n.inventory.modelFiles.length),
      n.hostKey === null ? 'not pinned' : n.hostKey.offered ? `CHANGED (now ${n.hostKey.offered.fingerprint})` : n.hostKey.fingerprint,
      n.lastSeen,
    ]),
  ]);
}
