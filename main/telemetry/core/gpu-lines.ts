import type { Sample } from '../../../shared/domain/telemetry.js';

/** The query the sampler streams with `-l 1`: one line per GPU per second, in this column order. */
export const GPU_QUERY_FIELDS = ['index', 'utilization.gpu', 'memory.used', 'memory.total', 'temperature.gpu', 'power.draw'] as const;

/** `[N/A]`, `[Not Supported]`, `[Function Not Found]`, -256 (absent Jetson sensor): no value. */
function reading(raw: string | undefined): number | null {
  const match = /^\s*(-?\d+(?:\.\d+)?)/.exec(raw ?? '');
  if (!match) return null;
  const n = Number(match[1]);
  return Number.isFinite(n) && n > -200 ? n : null;
}

/**
 * One `nvidia-smi --query-gpu=index,utilization.gpu,… --format=csv,noheader,nounits`
 * line as samples of `gpu:<node>/<index>`. Unavailable fields (MIG reads
 * `[N/A]` utilisation) are left out rather than stored as zero.
 */
export function gpuLineSamples(node: string, line: string, ts: number): Sample[] {
  const cells = line.split(',');
  if (cells.length !== GPU_QUERY_FIELDS.length) return [];
  const index = reading(cells[0]);
  if (index === null || !Number.isInteger(index) || index < 0) return [];
  const source = `gpu:${node}/${index}`;
  const values: Array<[string, string, number | null]> = [
    ['gpu.util', '%', reading(cells[1])],
    ['gpu.mem.used', 'MiB', reading(cells[2])],
    ['gpu.mem.total', 'MiB', reading(cells[3])],
    ['gpu.temp', 'C', reading(cells[4])],
    ['gpu.power', 'W', reading(cells[5])],
  ];
  return values.filter((v): v is [string, string, number] => v[2] !== null).map(([metric, unit, value]) => ({ source, metric, unit, ts, value }));
}

/**
 * One tegrastats line (any generation from R28 to JetPack 6: `cpu [..]`/`CPU [..]`,
 * `GR3D`/`GR3D_FREQ n%@f`/`n%@[f]`, temperatures in either case, rails with or
 * without `mW`) as samples of `node:<node>` and its GPU `gpu:<node>/0`.
 */
export function tegrastatsSamples(node: string, line: string, ts: number): Sample[] {
  const samples: Sample[] = [];
  const add = (source: string, metric: string, unit: string, value: number | null): void => {
    if (value !== null) samples.push({ source, metric, unit, ts, value });
  };
  const host = `node:${node}`;
  const gpu = `gpu:${node}/0`;
  const ram = /\bRAM (\d+)\/(\d+)MB/.exec(line);
  if (ram) {
    add(host, 'mem.used', 'MiB', Number(ram[1]));
    add(host, 'mem.total', 'MiB', Number(ram[2]));
  }
  const cpu = /\bCPU \[([^\]]*)\]/i.exec(line);
  if (cpu?.[1]) {
    const loads = cpu[1]
      .split(',')
      .map((c) => /^(\d+)%/.exec(c.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
    if (loads.length) add(host, 'cpu.util', '%', loads.reduce((a, b) => a + b, 0) / loads.length);
  }
  add(gpu, 'gpu.util', '%', reading(/\bGR3D(?:_FREQ)? (\d+)%/.exec(line)?.[1]));
  add(gpu, 'gpu.temp', 'C', reading(/\bGPU@(-?[\d.]+)C/i.exec(line)?.[1]));
  const power = boardPower(line);
  if (power !== null) {
    add(host, 'power', 'W', power.watts);
    if (power.summedRails > 0) add(host, 'power.summed_rails', 'rails', power.summedRails);
  }
  return samples;
}

/**
 * A power rail: `NAME cur/avg` with or without `mW` (later generations print more values per
 * rail); the first value is the current draw. `RAM 6185/7620MB` and `IRAM 0/252kB` end in
 * another unit and are not rails.
 */
const RAIL = /\b([A-Z][A-Z0-9_]*) (\d+)(?:mW)?(?:\/\d+(?:mW)?)+(?=\s|$)/g;

/**
 * The board's draw: its input rail (`VDD_IN`, `POM_5V_IN`: a name ending in `_IN`) when the line
 * has one; otherwise (AGX Xavier, AGX Orin) the sum of the rails it prints, which misses what
 * no rail measures, so the sample set says how many rails were summed (`power.summed_rails`).
 */
export function boardPower(line: string): { watts: number; summedRails: number } | null {
  const rails = [...line.matchAll(RAIL)].map((m) => ({ name: m[1] ?? '', milliwatts: Number(m[2]) }));
  if (rails.length === 0) return null;
  const input = rails.find((r) => r.name.endsWith('_IN'));
  if (input !== undefined) return { watts: input.milliwatts / 1000, summedRails: 0 };
  return { watts: rails.reduce((sum, r) => sum + r.milliwatts, 0) / 1000, summedRails: rails.length };
}
