import { ENGINE_NAMES, type Engine, type NodeGpu, type NodeInventory } from '../../../shared/domain/discovery.js';
import { ProbeFormatError, sectionStatus, sectionText, splitProbeDocument } from './probe-document.js';
import { InventoryChecks } from './inventory-checks.js';
import { parseNvidiaQuery } from './parse-nvidia.js';
import { jetsonOf, parseCpuinfo, parseDf, parseEngine, parseListeningPorts, parseLscpu, parseMeminfo, parseModelFiles, parseOsRelease, parseUname } from './parse-host-facts.js';

export { ProbeFormatError } from './probe-document.js';

/**
 * The probe's whole answer → one inventory. Pure: bytes in, data out. A part
 * that cannot be read becomes a warning, and so does a field refused as
 * unreadable (a figure outside what hardware can be, control characters in a
 * name); only an answer that is not a probe document at all (garbage, cut
 * short, no hostname) is refused.
 */
export function parseProbeOutput(output: Uint8Array, boundary: string, collectedAt: Date): NodeInventory {
  const doc = splitProbeDocument(output, boundary);
  const checks = new InventoryChecks();
  const hostname = checks.name('hostname', sectionText(doc, 'hostname'));
  if (!hostname) throw new ProbeFormatError('the probe output has no hostname section');
  const uname = parseUname(sectionText(doc, 'uname'));
  const os = { name: checks.name('OS name', parseOsRelease(sectionText(doc, 'os-release'))), kernel: checks.name('kernel', uname.kernel), arch: checks.name('arch', uname.arch) };
  const lscpu = sectionText(doc, 'lscpu');
  const cpuRead = lscpu ? parseLscpu(lscpu, checks) : parseCpuinfo(sectionText(doc, 'cpuinfo'), checks);
  const cpu = { model: checks.name('CPU model', cpuRead.model), cores: cpuRead.cores };
  const memory = parseMeminfo(sectionText(doc, 'meminfo'), checks);
  const disks = parseDf(sectionText(doc, 'df'), checks);
  const nvidia = parseNvidiaQuery(sectionText(doc, 'nvidia-smi'), sectionStatus(doc, 'nvidia-smi'), sectionText(doc, 'nvidia-smi-L'), checks);
  const jetsonRead = jetsonOf(sectionText(doc, 'nv-tegra-release'), sectionText(doc, 'device-tree-model'));
  const jetson = jetsonRead && { model: checks.name('Jetson model', jetsonRead.model), l4tRelease: checks.name('L4T release', jetsonRead.l4tRelease), board: checks.name('Jetson board', jetsonRead.board) };
  let gpus: NodeGpu[] = nvidia.gpus;
  let gpuStatus = nvidia.status;
  if (jetson && gpus.length === 0 && gpuStatus !== 'driver-error') {
    // A Jetson's GPU is on the SoC and shares the system RAM; nvidia-smi (where present) reports nothing useful.
    gpus = [jetsonGpu(jetson.model, memory.totalBytes, memory.totalBytes !== null && memory.availableBytes !== null ? memory.totalBytes - memory.availableBytes : null)];
    gpuStatus = 'ok';
  }
  const engines = ENGINE_NAMES.map((name) => parseEngine(name, sectionText(doc, `engine:${name}`)))
    .filter((e): e is Engine => e !== null)
    .map((e) => ({ ...e, version: checks.name(`${e.engine} version`, e.version) }));
  const models = doc.get('models');
  const modelFiles = parseModelFiles(models && models.status !== 'absent' ? models.bytes : null);
  const warnings = [...checks.warnings, ...modelFiles.warnings];
  if (memory.totalBytes === null) warnings.push('could not read the memory size (/proc/meminfo)');
  return {
    hostname,
    os,
    cpu,
    memory,
    disks,
    gpuStatus,
    gpuError: nvidia.error,
    gpus,
    jetson,
    engines,
    modelFiles: modelFiles.files,
    listeningPorts: parseListeningPorts(sectionText(doc, 'net-tcp'), sectionText(doc, 'net-tcp6')),
    warnings,
    collectedAt: collectedAt.toISOString(),
  };
}

const MiB = 2 ** 20;

function jetsonGpu(model: string | null, totalBytes: number | null, usedBytes: number | null): NodeGpu {
  const name = (model ?? 'NVIDIA Jetson').replace(/\s+(Engineering Reference\s+)?Developer Kit.*$/i, '').trim();
  return {
    index: 0,
    name: `${name} (integrated)`,
    uuid: null,
    memoryTotalMiB: totalBytes === null ? null : Math.round(totalBytes / MiB),
    memoryUsedMiB: usedBytes === null ? null : Math.round(usedBytes / MiB),
    utilizationPct: null,
    temperatureC: null,
    powerW: null,
    pciBusId: null,
    driverVersion: null,
    migDevices: [],
    unifiedMemory: true,
  };
}
