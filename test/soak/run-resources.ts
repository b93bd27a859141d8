// What one soak run owns on this machine, found and released without guesswork: its processes (by the run's
// temp dir in their environment, command line or binary path, or by its deployments' worker tags) and the small
// tmpfs its data dir lives on, which the disk-full fault fills.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface RunProcess {
  pid: number;
  name: string;
}

/** A file's text, or '' when it is gone or unreadable (a process that just ended). */
export function readOr(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}

/** Live processes of this run (never this process): llama-server, ggml-rpc-server, tunnels, sshd, cores, routers. */
export function runProcesses(runDir: string, deploymentIds: readonly string[]): RunProcess[] {
  const tags = deploymentIds.map((id) => `OUTPOST_WORKER=${id}/`);
  // The run dir as a whole path component, never a prefix of another run's dir.
  const mentions = (text: string): boolean => text.includes(`${runDir}/`) || text.includes(`${runDir}\0`) || text.endsWith(runDir);
  const found: RunProcess[] = [];
  for (const entry of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const environ = readOr(`/proc/${pid}/environ`).split('\0');
    let exe = '';
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      // gone, or a kernel thread
    }
    const ours = environ.some((v) => mentions(v) || tags.some((t) => v.startsWith(t))) || mentions(readOr(`/proc/${pid}/cmdline`)) || mentions(exe);
    if (ours) found.push({ pid, name: readOr(`/proc/${pid}/comm`).trim() || '?' });
  }
  return found;
}

/** SIGCONT (a stopped sshd would never die) and SIGKILL for every process of the run. */
export function killRunProcesses(runDir: string, deploymentIds: readonly string[]): void {
  for (const { pid } of runProcesses(runDir, deploymentIds)) {
    for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }
}

export interface DataDisk {
  dir: string;
  /** Why the data dir is a plain folder (no disk-full fault), or null when it is its own tmpfs. */
  unmountable: string | null;
  /** Fills the file system to its last block. */
  fill(): void;
  free(): void;
  release(): void;
}

/** A small tmpfs for the data dir, where the machine lets us mount one. */
export function dataDisk(dir: string, sizeMiB: number): DataDisk {
  let unmountable: string | null = null;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'outpost-soak', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    unmountable = `mount -t tmpfs not permitted here: ${((error as { stderr?: Buffer }).stderr?.toString() ?? String(error)).trim().split('\n')[0]}`;
  }
  const filler = path.join(dir, 'soak-disk-filler');
  return {
    dir,
    unmountable,
    fill: () => {
      const fd = openSync(filler, 'w', 0o600);
      try {
        // Big writes until the first refusal, then page-sized ones to take the last blocks too.
        for (const size of [1 << 20, 4096]) {
          const chunk = Buffer.alloc(size);
          for (;;) {
            try {
              if (writeSync(fd, chunk) < size) break;
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free: () => rmSync(filler, { force: true }),
    release: () => {
      if (unmountable !== null) return;
      try {
        execFileSync('umount', [dir], { stdio: 'ignore' });
      } catch {
        // something still holds it open: detach it now, the kernel frees it when the last user goes
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      }
    },
  };
}
