// A node-to-node model pull on the fake site (see main/workers/core/node-pull.ts): the holder answers the file's
// digest, the head's pull worker grows its partial file by `chunk` bytes per status read until it holds the file.
import type { FakeSite } from './workers-fakes.js';

export interface PulledFile {
  holder: string;
  path: string;
  sizeBytes: number;
  /** sha256 of its first MiB, as the scan recorded it. */
  headerDigest: string;
  sha256: string;
}

export interface PullSimulation {
  /** Bytes the partial file on the head holds now. */
  partialBytes: number;
  /** Starts of the pull worker, with the offset each asked the holder for. */
  readonly offsets: number[];
  /** What the next pulls land instead of the file, in turn (a copy damaged on the way). */
  readonly damaged: Array<{ headerDigest: string; sha256: string }>;
  /** The exit status of the next pull (a dropped link: 255). */
  failNext: number | null;
  /** Where the file was placed on the head. */
  placedAt: string | null;
}

export function simulatePull(site: FakeSite, file: PulledFile, chunk: number): PullSimulation {
  site.files.set(`${file.holder}:${file.path}`, { sizeBytes: file.sizeBytes, sha256: file.headerDigest });
  const sim: PullSimulation = { partialBytes: 0, offsets: [], damaged: [], failNext: null, placedAt: null };
  let running = false;
  let landing: { headerDigest: string; sha256: string } = file;
  let exit: number | null = null;
  site.answerers.push((node, script) => {
    if (node === file.holder && script.startsWith('sha256sum -- ')) return { what: 'model digest', stdout: `${file.sha256}  ${file.path}\n` };
    if (script.includes("'model-pull.pid'") || script.includes('/model-pull.pid')) {
      if (script.includes('echo "pid $!"')) {
        sim.offsets.push(Number(/'\\''(\d+)'\\'' >> /.exec(script)?.[1]));
        running = true;
        exit = null;
        landing = sim.damaged.shift() ?? file;
      } else if (script.startsWith('left=""')) running = false;
      return null;
    }
    if (script.includes("printf 'full")) {
      const whole = sim.partialBytes === file.sizeBytes;
      return { what: 'pulled digests', stdout: `size ${sim.partialBytes}\nhead ${whole ? landing.headerDigest : 'ee'.repeat(32)}\nfull ${whole ? landing.sha256 : 'ee'.repeat(32)}\n` };
    }
    if (script.includes('model-pull.exit') && script.includes("printf 'size")) {
      if (running) {
        if (sim.failNext !== null) {
          exit = sim.failNext;
          sim.failNext = null;
          running = false;
        } else {
          sim.partialBytes = Math.min(file.sizeBytes, sim.partialBytes + chunk);
          if (sim.partialBytes === file.sizeBytes) {
            exit = 0;
            running = false;
          }
        }
      }
      return { what: 'pull status', stdout: `size ${sim.partialBytes}\n${exit === null ? '' : `exit ${exit}\n`}` };
    }
    const removed = /^rm -f '([^']+\.partial)'$/.exec(script);
    if (removed) {
      sim.partialBytes = 0;
      return { what: 'remove partial', stdout: '' };
    }
    const moved = /^mv -f '[^']+' '([^']+)'$/.exec(script);
    if (moved) {
      sim.placedAt = moved[1] as string;
      site.files.set(sim.placedAt, { sizeBytes: file.sizeBytes, sha256: file.sha256 });
      return { what: `place ${sim.placedAt}`, stdout: '' };
    }
    return null;
  });
  return sim;
}
