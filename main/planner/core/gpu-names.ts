import { GPU_CATALOG } from './catalog-gpus.js';

/**
 * Maps the name a driver reports (nvidia-smi, the device tree) to a catalog
 * entry. Reported names vary by driver and form factor ("NVIDIA A100-SXM4-80GB",
 * "NVIDIA PG509-210", "Tesla T4", "NVIDIA Jetson AGX Orin Developer Kit"), so the
 * memory size settles variants that share a name. Null when nothing matches:
 * the caller must say so rather than guess.
 */
export function catalogNameForGpu(reported: string, memoryMiB: number | null): string | null {
  const name = reported.toUpperCase().replace(/[^A-Z0-9]+/g, ' ');
  const gib = memoryMiB === null ? null : memoryMiB / 1024;
  const near = (target: number) => gib !== null && Math.abs(gib - target) <= target * 0.15;
  const known = (candidate: string) => (GPU_CATALOG.some((g) => g.name === candidate) ? candidate : null);

  if (/\bORIN\b/.test(name)) {
    // One name covers modules of two memory sizes: the RAM the board reports settles which.
    if (/\bNANO\b/.test(name)) return known(jetsonVariant(gib, 4, 8, 'Jetson-Orin-Nano'));
    if (/\bNX\b/.test(name)) return known(jetsonVariant(gib, 8, 16, 'Jetson-Orin-NX'));
    return known(jetsonVariant(gib, 32, 64, 'Jetson-AGX-Orin'));
  }
  if (/\bH200\b/.test(name)) return known('H200');
  if (/\bH100\b/.test(name)) return known('H100-80GB');
  // HGX A100 boards may report their board id instead of "A100".
  if (/\bA100\b/.test(name) || /\bPG509\b/.test(name)) return known(near(40) ? 'A100-40GB' : 'A100-80GB');
  if (/\bL40S\b/.test(name)) return known('L40S');
  if (/\bL4\b/.test(name)) return known('L4');
  if (/\bA10G?\b/.test(name)) return known('A10G');
  if (/\bT4\b/.test(name)) return known('T4');
  if (/\bV100\b/.test(name)) return known('V100-32GB');
  if (/\b4090\b/.test(name)) return known('RTX-4090');
  return null;
}

/**
 * The module whose memory is nearer (by ratio) to what the kernel reports: carve-outs take
 * 0.5–1 GiB, so a "16 GB" Orin NX reports about 15.3 GiB and an "8 GB" one about 7.4 GiB.
 * Unknown memory: the larger module, as before discovery read it.
 */
function jetsonVariant(reportedGiB: number | null, smallGB: number, largeGB: number, family: string): string {
  const small = reportedGiB !== null && reportedGiB < Math.sqrt(smallGB * largeGB);
  return `${family}-${small ? smallGB : largeGB}GB`;
}
