import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Drive, FromStandIn, ToStandIn } from '../fixtures/electron-stand-in/protocol.js';
import { REPO_ROOT } from './cli.js';

export interface Recorded {
  call: string;
  detail: unknown;
}

/** The compiled Electron main, running in a node child with `electron` resolved to the recording stand-in. */
export interface ShellUnderTest {
  records: Recorded[];
  /** Everything the shell recorded under this call name, so far. */
  calls(call: string): Recorded[];
  drive(message: Drive): Promise<unknown>;
  /** Once the main has loaded (it took the single-instance lock), Electron's 'ready'. */
  ready(): Promise<void>;
  waitFor(what: string, probe: (records: Recorded[]) => boolean, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  output(): string;
  kill(): void;
}

const MAIN = path.join(REPO_ROOT, 'dist', 'main', 'shell', 'electron', 'main.js');
const REGISTER = path.join(REPO_ROOT, 'dist', 'test', 'fixtures', 'electron-stand-in', 'register.js');

export function launchShell(env: NodeJS.ProcessEnv): ShellUnderTest {
  const child: ChildProcess = fork(MAIN, [], { cwd: REPO_ROOT, env: { ...process.env, ...env }, execArgv: ['--import', REGISTER], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const records: Recorded[] = [];
  const replies = new Map<number, (value: unknown) => void>();
  let output = '';
  let nextId = 1;
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  child.on('message', (message: FromStandIn) => {
    if (message.kind === 'record') records.push({ call: message.call, detail: message.detail });
    else replies.get(message.id)?.(message.value);
  });
  const waitFor: ShellUnderTest['waitFor'] = async (what, probe, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!probe(records)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the shell recorded ${records.map((r) => r.call).join(', ')}\n${output}`);
      await sleep(50);
    }
  };
  const drive: ShellUnderTest['drive'] = (message) => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      replies.set(id, resolve);
      child.send({ ...message, id } satisfies ToStandIn, (error) => error && reject(error));
    });
  };
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    records,
    calls: (call) => records.filter((r) => r.call === call),
    drive,
    async ready() {
      await waitFor('the main to load', (r) => r.some((c) => c.call === 'app.requestSingleInstanceLock'));
      await drive({ action: 'ready' });
    },
    waitFor,
    exited,
    output: () => output,
    kill: () => void child.kill('SIGKILL'),
  };
}
