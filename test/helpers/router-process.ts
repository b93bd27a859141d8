import { spawn, type ChildProcess } from 'node:child_process';
import { OUTPOST_BIN, REPO_ROOT } from './cli.js';

/** `outpost router` as its own process on the bench's store, as a site runs it. */
export async function startRouterProcess(dataDir: string): Promise<{ url: string; child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, '--json', 'router', '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve((JSON.parse(out) as { url: string }).url);
      } catch {
        // the JSON is not complete yet
      }
    });
    child.once('exit', (code) => reject(new Error(`outpost router exited with ${code}`)));
  });
  return { url, child, exited };
}
