import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { OutpostWindow } from '../e2e/pages/outpost-window.js';
import { OUTPOST_BIN, REPO_ROOT } from './cli.js';
import { atTestEnd } from './temp.js';

export interface StartedService {
  url: string;
  port: number;
  pid: number;
  process: ChildProcess;
}

/**
 * `outpost service run` as a user starts it: a real child process; resolves with what it prints. `runArgs` are
 * the arguments after `service run` (default: a free port); `env` is added to the test's environment.
 */
export async function startSiteService(t: TestContext, dataDir: string, options: { runArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<StartedService> {
  const args = [OUTPOST_BIN, '--data-dir', dataDir, 'service', 'run', ...(options.runArgs ?? ['--port', '0']), '--json'];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // Stopped, and waited for (its router child goes with it), before the test's temp dirs are removed.
  atTestEnd(t, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`outpost service run did not print its URL within 15 s; stderr: ${stderr}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      const printed = JSON.parse(line) as { url: string; port: number; pid: number };
      resolve({ ...printed, process: child });
    });
    child.on('exit', (code) => reject(new Error(`outpost service run exited with ${code}: ${stderr}`)));
  });
}

/** Debian's Chromium, headless, kept off the network (this machine has none, and must not try). */
export async function launchChromium(t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.OUTPOST_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-domain-reliability', '--metrics-recording-only'],
  });
  t.after(() => browser.close());
  return browser;
}

/** The window at `url` in a fresh headless Chromium page; `consoleErrors` collects what the page logs as errors (CSP violations, script errors). */
export async function openOutpostWindow(t: TestContext, url: string, viewport?: { width: number; height: number }): Promise<{ page: Page; win: OutpostWindow; consoleErrors: string[] }> {
  const browser = await launchChromium(t);
  const page = await browser.newPage(viewport ? { viewport } : {});
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  const win = new OutpostWindow(page);
  await win.open(url);
  return { page, win, consoleErrors };
}
