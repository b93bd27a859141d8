import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RouterChild } from '../supervisor.js';

/**
 * Set in the environment of a router the app starts. Such a router waits, loaded, until the app writes a line on
 * its stdin, then listens: the app keeps one warm so that a router that dies is replaced in milliseconds.
 */
export const SUPERVISED_ENV = 'OUTPOST_ROUTER_SUPERVISED';

/** The CLI entry the app starts the router through: the same `outpost router` a technician runs by hand. */
const OUTPOST_BIN = fileURLToPath(new URL('../../../../bin/outpost.js', import.meta.url));

/**
 * V8 flags the router process runs with. A stream lives about a second, so its objects survive a few
 * young-generation collections, and each collection pauses every stream in flight; a larger young
 * generation makes those pauses rarer (the README's "Hot path" says what bench:router showed).
 */
export const ROUTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/**
 * Starts `outpost router` as a child process. Under Electron, process.execPath is
 * the Electron binary: ELECTRON_RUN_AS_NODE makes it the Node the CLI expects.
 */
export function spawnRouterChild(options: { dataDir: string; host: string; port: number }): RouterChild {
  const child = spawn(process.execPath, [...ROUTER_NODE_FLAGS, OUTPOST_BIN, '--data-dir', options.dataDir, '--json', 'router', '--host', options.host, '--port', String(options.port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, [SUPERVISED_ENV]: '1', ELECTRON_RUN_AS_NODE: '1' },
  });
  let stdout = '';
  let stderr = '';
  const listening = new Promise<{ url: string }>((resolve) => {
    child.stdout.on('data', (data: Buffer) => {
      // The first thing it prints is `--json`'s answer, {url, port, pid, …}, perhaps over several lines.
      stdout += data.toString('utf8');
      try {
        const url = (JSON.parse(stdout) as { url?: unknown }).url;
        if (typeof url === 'string') resolve({ url });
      } catch {
        // not complete yet
      }
    });
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString('utf8')).slice(-2_000);
  });
  // The router went away (or was adopted by the next core after ours died): nothing to tell it any more.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
    child.once('exit', (code, signal) => {
      const said = stderr.trim().split('\n').at(-1) ?? '';
      resolve(`${signal ? `killed by ${signal}` : `exit code ${code}`}${said ? ` (${said.slice(0, 300)})` : ''}`);
    });
  });
  return {
    pid: child.pid ?? null,
    listening,
    exited,
    activate: () => void child.stdin.end('listen\n'),
    stop: () => {
      child.kill('SIGTERM');
      if (child.pid !== undefined && !waitUntilExited(child.pid, ROUTER_STOP_WAIT_MS)) child.kill('SIGKILL');
    },
  };
}

/** The router's own grace for running streams is 5 s; a little more, then it is killed. */
export const ROUTER_STOP_WAIT_MS = 6_000;

/**
 * Blocks until the process has exited (a zombie not yet reaped counts), up to `ms`.
 * Core.close() is synchronous, and whoever closes the core may remove the data dir
 * next: the router must have stopped writing into it by then. Linux's /proc; true
 * at once elsewhere.
 */
export function waitUntilExited(pid: number, ms: number): boolean {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + ms;
  for (;;) {
    let state: string | undefined;
    try {
      state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    } catch {
      return true;
    }
    if (state === 'Z' || state === 'X') return true;
    if (Date.now() >= deadline) return false;
    Atomics.wait(pause, 0, 0, 10);
  }
}
