// The site's long-lived core as a site runs it: `outpost service run` in its own process (it supervises the workers,
// samples telemetry and runs `outpost router` as its child), started again when it dies, as systemd would.
import { spawn, type ChildProcess } from 'node:child_process';
import { OUTPOST_BIN, REPO_ROOT } from '../helpers/cli.js';
import type { SteppedClock } from '../fixtures/stepped-clock/stepped-clock.js';

export interface LongLivedCoreOptions {
  dataDir: string;
  routerPort: number;
  /** The workstation clock as the core and its router read it. */
  clock: SteppedClock;
  /** The workers' check round; the product's default is 2 s. */
  superviseIntervalMs: number;
  /** How long "systemd" waits before starting a core that died on its own. */
  restartDelayMs: number;
}

export class LongLivedCore {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Exits the soak did not cause, each with the last thing the core said. */
  readonly unexpectedExits: string[] = [];

  constructor(private readonly options: LongLivedCoreOptions) {}

  /** Starts `outpost service run` and resolves once it serves (it supervises from before that line). */
  async start(): Promise<void> {
    const { dataDir, routerPort, clock, superviseIntervalMs } = this.options;
    const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, '--json', 'service', 'run', '--port', '0'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        OUTPOST_HOME: '',
        OUTPOST_ROUTER_HOST: '127.0.0.1',
        OUTPOST_ROUTER_PORT: String(routerPort),
        OUTPOST_SUPERVISE_INTERVAL_MS: String(superviseIntervalMs),
        ...clock.env(),
      },
    });
    this.child = child;
    let said = '';
    child.stderr?.on('data', (d: Buffer) => void (said = (said + d.toString()).slice(-2_000)));
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`)));
    void exited.then((how) => {
      if (this.child !== child) return;
      this.child = null;
      if (this.stopping) return;
      this.unexpectedExits.push(`${how}${said.trim() ? ` (${said.trim().split('\n').at(-1)?.slice(0, 300)})` : ''}`);
      this.restartTimer = setTimeout(() => void this.start().catch(() => undefined), this.options.restartDelayMs);
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve();
      });
      void exited.then((how) => reject(new Error(`outpost service run ended before it served: ${how}; ${said.trim().slice(-500)}`)));
    });
  }

  /** kill -9, as a crash or the OOM killer would; resolves once it is gone. */
  async kill(): Promise<number | null> {
    const child = this.child;
    if (!child?.pid) return null;
    this.child = null;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
    return child.pid;
  }

  /** SIGTERM, as `systemctl stop` sends it; SIGKILL after `graceMs`. Resolves with how it ended. */
  async stop(graceMs: number): Promise<string> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return 'not running';
    const ended = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`)));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const how = await ended;
    clearTimeout(timer);
    return how;
  }
}
