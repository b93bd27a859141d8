import si from 'systeminformation';
import type { LocalFacts } from '../core/workstation.js';

const PART_TIMEOUT_MS = 10_000;

/**
 * Reads this machine through systeminformation. Each part is time-boxed on its
 * own: `graphics` shells out to lspci/nvidia-smi, which can hang on a broken
 * driver, and one slow part must not cost the others.
 */
export async function readLocalFacts(): Promise<{ facts: LocalFacts; warnings: string[] }> {
  const warnings: string[] = [];
  const part = async <T>(name: string, read: () => Promise<T>): Promise<T | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${PART_TIMEOUT_MS / 1000} s`)), PART_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      warnings.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  const [os, cpu, mem, disks, graphics] = await Promise.all([part('os', () => si.osInfo()), part('cpu', () => si.cpu()), part('memory', () => si.mem()), part('disks', () => si.fsSize()), part('graphics', () => si.graphics())]);
  return {
    facts: {
      os,
      cpu,
      mem,
      disks,
      gpus: graphics?.controllers.map((c) => ({
        vendor: c.vendor,
        model: c.model,
        vram: c.vram,
        driverVersion: c.driverVersion,
      })),
    },
    warnings,
  };
}
