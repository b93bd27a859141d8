import { INVENTORY_BOUNDS, type Engine, type Jetson, type ModelFile, type NodeDisk } from '../../../shared/domain/discovery.js';
import type { InventoryChecks } from './inventory-checks.js';

/** `PRETTY_NAME="Ubuntu 22.04.4 LTS"` → the value, quotes removed. */
export function parseOsRelease(text: string | null): string | null {
  if (!text) return null;
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) fields.set(m[1] ?? '', (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2'));
  }
  return fields.get('PRETTY_NAME') ?? ([fields.get('NAME'), fields.get('VERSION_ID')].filter(Boolean).join(' ') || null);
}

/** `uname -s -r -m` → kernel release and machine. */
export function parseUname(text: string | null): { kernel: string | null; arch: string | null } {
  const parts = (text ?? '').trim().split(/\s+/);
  return parts.length === 3 ? { kernel: parts[1] ?? null, arch: parts[2] ?? null } : { kernel: null, arch: null };
}

/** lscpu's "Model name" and "CPU(s)", any nesting depth (util-linux ≥ 2.37 indents them). */
export function parseLscpu(text: string | null, checks: InventoryChecks): { model: string | null; cores: number | null } {
  if (!text) return { model: null, cores: null };
  const field = (name: string): string | null => {
    const m = new RegExp(`^\\s*${name}:\\s*(.+)$`, 'm').exec(text);
    return m ? (m[1] ?? '').trim() : null;
  };
  return { model: field('Model name'), cores: checks.figure('CPU(s)', field('CPU\\(s\\)'), INVENTORY_BOUNDS.cpuCores) };
}

/** /proc/cpuinfo when lscpu is missing; mainline arm64 kernels have no "model name" at all. */
export function parseCpuinfo(text: string | null, checks: InventoryChecks): { model: string | null; cores: number | null } {
  if (!text) return { model: null, cores: null };
  const processors = text.match(/^processor\s*:/gm)?.length ?? 0;
  const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? null;
  return { model, cores: processors > 0 ? checks.figure('processors in /proc/cpuinfo', String(processors), INVENTORY_BOUNDS.cpuCores) : null };
}

/** MemTotal and MemAvailable (MemFree on kernels before 3.14); more available than there is reads as unreadable. */
export function parseMeminfo(text: string | null, checks: InventoryChecks): { totalBytes: number | null; availableBytes: number | null } {
  const kib = (name: string): number | null => {
    const m = new RegExp(`^${name}:[ \\t]*(\\S+)[ \\t]*kB`, 'm').exec(text ?? '');
    return checks.figure(`/proc/meminfo ${name}`, m?.[1], INVENTORY_BOUNDS.hostMemoryBytes, 1024);
  };
  const totalBytes = kib('MemTotal');
  const availableBytes = /^MemAvailable:/m.test(text ?? '') ? kib('MemAvailable') : kib('MemFree');
  if (totalBytes !== null && availableBytes !== null && availableBytes > totalBytes) {
    checks.warnings.push(`/proc/meminfo: ${availableBytes / 1024} kB available of ${totalBytes / 1024} kB in all; the available figure is kept as unreadable`);
    return { totalBytes, availableBytes: null };
  }
  return { totalBytes, availableBytes };
}

/** `df -P -k`: real block devices only (no tmpfs, overlay or snap loop mounts); mount points may hold spaces. */
export function parseDf(text: string | null, checks: InventoryChecks): NodeDisk[] {
  const disks = new Map<string, NodeDisk>();
  for (const line of (text ?? '').split('\n').slice(1)) {
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+\d+%\s+(.+)$/.exec(line.trim());
    if (!m || !(m[1] ?? '').startsWith('/dev/') || (m[1] ?? '').startsWith('/dev/loop')) continue;
    const mount = m[5] ?? '';
    if (disks.has(mount)) continue;
    const sizeBytes = checks.figure(`df ${mount} size`, m[2], INVENTORY_BOUNDS.sizeBytes, 1024);
    const freeBytes = checks.figure(`df ${mount} available`, m[4], INVENTORY_BOUNDS.sizeBytes, 1024);
    disks.set(mount, { mount, sizeBytes, freeBytes });
  }
  return [...disks.values()];
}

/** `# R36 (release), REVISION: 4.0, GCID: …, BOARD: generic, …` → "R36.4.0" and the board. */
export function parseTegraRelease(text: string | null): { l4tRelease: string | null; board: string | null } {
  const first = (text ?? '').split('\n')[0] ?? '';
  const major = /#\s*R(\d+)\s*\(release\)/.exec(first)?.[1];
  const revision = /REVISION:\s*([\d.]+)/.exec(first)?.[1];
  const board = /BOARD:\s*([^,]+)/.exec(first)?.[1]?.trim() ?? null;
  return { l4tRelease: major ? `R${major}${revision ? `.${revision}` : ''}` : null, board };
}

/** /proc/device-tree/model ends with a NUL and no newline. */
export function parseDeviceTreeModel(text: string | null): string | null {
  const model = (text ?? '').replace(/\0+/g, '').trim();
  return model.length > 0 ? model : null;
}

export function jetsonOf(tegra: string | null, deviceTreeModel: string | null): Jetson | null {
  const release = parseTegraRelease(tegra);
  const model = parseDeviceTreeModel(deviceTreeModel);
  const isJetson = release.l4tRelease !== null || /jetson|tegra/i.test(model ?? '');
  return isJetson ? { model, l4tRelease: release.l4tRelease, board: release.board } : null;
}

/**
 * A section `engine:<name>`: the executable's path, then its version output.
 * llama.cpp prints `version: 3871 (d10d90ae)` or `version: 0.3.0-dev (build 10621, commit c1d0e7a00)`;
 * vLLM may print INFO log lines before its bare version.
 */
export function parseEngine(engine: Engine['engine'], text: string | null): Engine | null {
  if (text === null) return null;
  const [path = '', ...rest] = text.split('\n');
  if (!path.startsWith('/')) return null;
  const lines = rest.map((l) => l.trim()).filter((l) => l.length > 0);
  let version: string | null = null;
  if (engine === 'llama-server') {
    version = lines.map((l) => /^version:\s*(.+)$/.exec(l)?.[1]?.trim()).find((v) => v) ?? null;
  } else if (engine === 'vllm') {
    version = [...lines].reverse().find((l) => /^\d+\.\d+[\w.+-]*$/.test(l)) ?? null;
  }
  return { engine, path, version };
}

/**
 * NUL-terminated `size<TAB>sha256-of-first-MiB<TAB>path` records. Safetensors
 * shards are grouped into their directory: the unit a worker loads.
 */
export function parseModelFiles(bytes: Uint8Array | null): { files: ModelFile[]; warnings: string[] } {
  if (!bytes) return { files: [], warnings: [] };
  const utf8 = new TextDecoder('utf-8', { fatal: false });
  const files: ModelFile[] = [];
  const shards = new Map<string, number>();
  const warnings: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    const record = utf8.decode(bytes.subarray(start, i));
    start = i + 1;
    const m = /^\n?(\d+)\t([0-9a-f]{64})?\t(\/[\s\S]*)$/.exec(record);
    if (!m) {
      warnings.push(`a model file record could not be read: "${record.slice(0, 60)}"`);
      continue;
    }
    const [, size = '0', digest, path = ''] = m;
    if (Number(size) > INVENTORY_BOUNDS.sizeBytes.max) {
      warnings.push(`a model file of ${size.slice(0, 30)} bytes is more than any disk holds; not listed: ${JSON.stringify(path.slice(0, 120))}`);
    } else if (path.endsWith('.gguf')) {
      files.push({ path, format: 'gguf', sizeBytes: Number(size), headerDigest: digest ?? null });
    } else {
      const dir = path.slice(0, path.lastIndexOf('/')) || '/';
      shards.set(dir, (shards.get(dir) ?? 0) + Number(size));
    }
  }
  for (const [dir, size] of shards) {
    if (size > INVENTORY_BOUNDS.sizeBytes.max) warnings.push(`safetensors shards in ${JSON.stringify(dir.slice(0, 120))} add up to more than any disk holds; not listed`);
    else files.push({ path: dir, format: 'safetensors', sizeBytes: size, headerDigest: null });
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { files, warnings };
}

/** Listening TCP ports from /proc/net/tcp{,6} (state 0A), without asking ss or netstat to exist. */
export function parseListeningPorts(...tables: Array<string | null>): number[] {
  const ports = new Set<number>();
  for (const table of tables) {
    for (const line of (table ?? '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const local = f[1]?.split(':')[1];
      if (f[3] === '0A' && local && /^[0-9A-F]{4}$/i.test(local)) ports.add(parseInt(local, 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}
