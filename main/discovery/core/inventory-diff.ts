import type { NodeChange, NodeInventory } from '../../../shared/domain/discovery.js';
import { formatBytes } from '../../../shared/units.js';

const gpuLabel = (g: NodeInventory['gpus'][number]): string => `${g.name}${g.memoryTotalMiB !== null ? ` ${formatBytes(g.memoryTotalMiB * 2 ** 20)}` : ''}`;

/** Compares keyed collections and reports what appeared and what went away. */
function compareSets<T>(before: readonly T[], after: readonly T[], key: (item: T) => string, label: (item: T) => string, subject: NodeChange['subject']): NodeChange[] {
  const was = new Map(before.map((item) => [key(item), item]));
  const now = new Map(after.map((item) => [key(item), item]));
  const changes: NodeChange[] = [];
  for (const [k, item] of now) if (!was.has(k)) changes.push({ subject, change: 'added', detail: label(item) });
  for (const [k, item] of was) if (!now.has(k)) changes.push({ subject, change: 'removed', detail: label(item) });
  return changes;
}

/**
 * What changed on a node between two scans: hardware, software and model files,
 * not readings that move by themselves (GPU load, free memory, temperatures).
 */
export function diffInventories(before: NodeInventory | null, after: NodeInventory): NodeChange[] {
  if (before === null) return [{ subject: 'node', change: 'added', detail: `first seen as ${after.hostname}` }];
  const changes: NodeChange[] = [];
  const changed = (subject: NodeChange['subject'], what: string, from: string | null, to: string | null): void => {
    if (from !== to) changes.push({ subject, change: 'changed', detail: `${what}: ${from ?? 'unknown'} → ${to ?? 'unknown'}` });
  };
  changed('node', 'hostname', before.hostname, after.hostname);
  changed('os', 'OS', before.os.name, after.os.name);
  changed('os', 'kernel', before.os.kernel, after.os.kernel);
  changed('cpu', 'CPU', before.cpu.model, after.cpu.model);
  changed('cpu', 'cores', before.cpu.cores?.toString() ?? null, after.cpu.cores?.toString() ?? null);
  const ram = (bytes: number | null): string | null => (bytes === null ? null : formatBytes(bytes));
  // MemTotal moves by a few MiB across kernel updates; a real change is a DIMM or a different board.
  if (Math.abs((before.memory.totalBytes ?? 0) - (after.memory.totalBytes ?? 0)) > 256 * 2 ** 20) {
    changes.push({ subject: 'memory', change: 'changed', detail: `RAM: ${ram(before.memory.totalBytes) ?? 'unknown'} → ${ram(after.memory.totalBytes) ?? 'unknown'}` });
  }
  changed('gpu', 'GPU driver', before.gpuStatus === 'driver-error' ? 'broken' : (before.gpus[0]?.driverVersion ?? null), after.gpuStatus === 'driver-error' ? 'broken' : (after.gpus[0]?.driverVersion ?? null));
  const gpuKey = (g: NodeInventory['gpus'][number]): string => g.uuid ?? `${g.index}:${g.name}`;
  changes.push(...compareSets(before.gpus, after.gpus, gpuKey, gpuLabel, 'gpu'));
  const engineKey = (e: NodeInventory['engines'][number]): string => `${e.engine}@${e.path}`;
  const engineWas = new Map(before.engines.map((e) => [engineKey(e), e]));
  for (const e of after.engines) {
    const old = engineWas.get(engineKey(e));
    if (old && old.version !== e.version) changed('engine', e.engine, old.version, e.version);
  }
  changes.push(...compareSets(before.engines, after.engines, engineKey, (e) => `${e.engine} ${e.version ?? ''} at ${e.path}`.replace('  ', ' '), 'engine'));
  const fileKey = (f: NodeInventory['modelFiles'][number]): string => `${f.path}#${f.headerDigest ?? f.sizeBytes}`;
  changes.push(...compareSets(before.modelFiles, after.modelFiles, fileKey, (f) => `${f.path} (${formatBytes(f.sizeBytes)})`, 'model-file'));
  changes.push(
    ...compareSets(
      before.disks,
      after.disks,
      (d) => `${d.mount}:${d.sizeBytes}`,
      (d) => `${d.mount} ${d.sizeBytes === null ? 'of unknown size' : formatBytes(d.sizeBytes)}`,
      'disk',
    ),
  );
  return changes;
}

/**
 * A name people can type (`outpost hostkey accept <node>`): the hostname cut to
 * letters, digits, dots and dashes. Odd bytes or shell metacharacters in a
 * hostname never reach a name, a command or a file path.
 */
export function nodeNameFor(hostname: string, address: string): string {
  const cleaned = hostname
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 63);
  return cleaned.length > 0 ? cleaned : address;
}
