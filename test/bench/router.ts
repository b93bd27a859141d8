/**
 * `npm run bench:router [seconds]`: 200 concurrent streaming clients in a closed loop against the
 * simulated LLM upstream (first token after 100 ms, 30 tokens/s, 32 tokens) (a) directly, (b) through
 * `outpost router`, (c) through nginx `proxy_pass` with buffering off when nginx is installed; then a
 * saturation run against an instant upstream. Each server is its own process, its CPU read from /proc;
 * the load generator's own CPU is printed as `client`. The streaming phases run in two halves, in the
 * order direct, router, nginx, nginx, router, direct, so that a change in the shared machine's background
 * load over the run weighs on all three alike. Prints p50/p99 TTFB and TTLB, tokens/s, errors, CPU, and
 * the router's and nginx's added latency over direct in the same run. `seconds` per streaming target
 * (default 60, as the issue asks; 2 to 120, e.g. 10 for a quick look), half that (at most 15 s) per
 * saturation phase. Each part starts its clients one after another over a stream's length and warms up
 * for 1.5 s before its measured window (a request counts when it starts in the window). Then a burst: every
 * client sends at the same moment from idle, three times, against each target (reported, no target). The
 * default run takes about 4 minutes. The machine is shared: load is printed.
 * ROUTER_BENCH_CONCURRENCY changes the number of streaming clients (to tell queueing from per-request cost).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { callContext, openCore } from '../../main/app/core.js';
import { ROUTER_NODE_FLAGS } from '../../main/router/index.js';
import { OUTPOST_BIN, REPO_ROOT } from '../helpers/cli.js';

const CONCURRENCY = Number(process.env.ROUTER_BENCH_CONCURRENCY ?? 200);
const SATURATION_CONCURRENCY = 64;
const WARMUP_S = 1.5;
const BURST_ROUNDS = 3;
/** The simulated upstream's pacing: first token after 100 ms, then 30 tokens/s, 32 tokens. */
const PACING = { ttftMs: 100, tokensPerSecond: 30, tokens: 32 };
const STREAM_S = (PACING.ttftMs + ((PACING.tokens - 1) * 1000) / PACING.tokensPerSecond) / 1000;
const seconds = Math.min(120, Math.max(2, Number(process.argv[2] ?? process.env.ROUTER_BENCH_SECONDS ?? 60)));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'outpost-bench-router-'));
const children: ChildProcess[] = [];

interface PhaseResult {
  name: string;
  requests: number;
  errors: number;
  ttfb: number[];
  ttlb: number[];
  tokens: number;
  seconds: number;
  cpu: Record<string, number>;
}

function spawnPrinting(command: string, args: string[]): Promise<{ child: ChildProcess; line: Record<string, unknown> }> {
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve({ child, line: JSON.parse(out) as Record<string, unknown> });
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${err}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) of a process and its children, from /proc. */
function cpuSeconds(pid: number): number {
  const tick = 100;
  const own = (p: number) => {
    try {
      const fields = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      return 0;
    }
  };
  let total = own(pid);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      if (Number(fields[1]) === pid) total += own(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/**
 * One measured phase of a closed loop. The clients start one after another over `rampS` (a stream's length),
 * then run unmeasured for the warm-up (JIT, connection set-up) and straight on into the measured window, on the
 * same connections: a request counts when it starts inside the window. Starting all clients at once instead
 * keeps them in step for tens of seconds (every client's next request follows a stream of the same length), so
 * each measurement would be mostly of the start's burst; the burst is measured on its own (`burst`).
 */
async function closedLoop(name: string, base: string, body: string, headers: Record<string, string>, concurrency: number, rampS: number, durationS: number, pids: Record<string, number>): Promise<PhaseResult> {
  const pool = new Pool(base, { connections: concurrency, pipelining: 1 });
  const result: PhaseResult = { name, requests: 0, errors: 0, ttfb: [], ttlb: [], tokens: 0, seconds: durationS, cpu: {} };
  const began = performance.now();
  const window = { from: began + (rampS + WARMUP_S) * 1000, to: began + (rampS + WARMUP_S + durationS) * 1000 };
  let cpuBefore: Record<string, number> = {};
  let clientBefore = process.cpuUsage();
  const opened = setTimeout(() => {
    cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    clientBefore = process.cpuUsage();
  }, window.from - began);
  const closed = new Promise<void>((resolve) =>
    setTimeout(() => {
      const client = process.cpuUsage(clientBefore);
      result.cpu = { ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid) - (cpuBefore[k] ?? 0)])), client: (client.user + client.system) / 1e6 };
      resolve();
    }, window.to - began),
  );
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * rampS * 1000) / concurrency));
      while (performance.now() < window.to) await oneRequest(pool, body, headers, window.from, result);
    }),
  );
  await closed;
  clearTimeout(opened);
  await pool.close();
  return result;
}

/** One streamed request, recorded in `result` when it started at or after `countFrom`. */
async function oneRequest(pool: Pool, body: string, headers: Record<string, string>, countFrom: number, result: PhaseResult): Promise<void> {
  const started = performance.now();
  const counted = started >= countFrom;
  try {
    const response = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', ...headers }, body });
    let first: number | null = null;
    let events = 0;
    for await (const chunk of response.body) {
      first ??= performance.now();
      const text = (chunk as Buffer).toString('latin1');
      for (let at = text.indexOf('data: {'); at !== -1; at = text.indexOf('data: {', at + 7)) events += 1;
    }
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
    const end = performance.now();
    if (!counted) return;
    result.ttfb.push((first ?? end) - started);
    result.ttlb.push(end - started);
    result.tokens += events;
    result.requests += 1;
  } catch {
    if (counted) result.errors += 1;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Every client sends at the same moment, from idle, on warm connections: what a batch job starting at once
 * costs. Reported beside the closed loop (no target): the last first byte of a burst is the time the proxy
 * needs to take in every request and hand on every first token, one after another.
 */
async function burst(name: string, base: string, body: string, headers: Record<string, string>, concurrency: number, streamS: number): Promise<PhaseResult> {
  const pool = new Pool(base, { connections: concurrency, pipelining: 1 });
  const result: PhaseResult = { name, requests: 0, errors: 0, ttfb: [], ttlb: [], tokens: 0, seconds: 0, cpu: {} };
  const warm: PhaseResult = { ...result, ttfb: [], ttlb: [] };
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * streamS * 1000) / concurrency));
      await oneRequest(pool, body, headers, 0, warm);
    }),
  );
  for (let round = 0; round < BURST_ROUNDS; round += 1) {
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all(Array.from({ length: concurrency }, () => oneRequest(pool, body, headers, 0, result)));
  }
  await pool.close();
  return result;
}

/** Parts of one target's measurement, taken at different times, as one. */
function merged(parts: PhaseResult[]): PhaseResult {
  const [first] = parts as [PhaseResult];
  const cpu: Record<string, number> = {};
  for (const part of parts) for (const [k, v] of Object.entries(part.cpu)) cpu[k] = (cpu[k] ?? 0) + v;
  return {
    name: first.name,
    requests: parts.reduce((n, p) => n + p.requests, 0),
    errors: parts.reduce((n, p) => n + p.errors, 0),
    ttfb: parts.flatMap((p) => p.ttfb),
    ttlb: parts.flatMap((p) => p.ttlb),
    tokens: parts.reduce((n, p) => n + p.tokens, 0),
    seconds: parts.reduce((n, p) => n + p.seconds, 0),
    cpu,
  };
}

const q = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
};
const ms = (v: number) => `${v.toFixed(1)} ms`;

function report(r: PhaseResult): void {
  const cpu = Object.entries(r.cpu)
    .map(([k, v]) => `${k} ${((100 * v) / r.seconds).toFixed(0)}%`)
    .join(', ');
  console.log(
    `${r.name.padEnd(8)} ${String(r.requests).padStart(6)} req  ${(r.requests / r.seconds).toFixed(0).padStart(5)} req/s  TTFB p50 ${ms(q(r.ttfb, 0.5))} p99 ${ms(q(r.ttfb, 0.99))}  TTLB p50 ${ms(q(r.ttlb, 0.5))} p99 ${ms(q(r.ttlb, 0.99))}  ${(r.tokens / r.seconds).toFixed(0)} tokens/s  errors ${r.errors}  CPU ${cpu}`,
  );
}

function nginxConfig(port: number, upstreamPort: number, instantPort: number, instantUpstreamPort: number): string {
  const server = (listen: number, to: number) => `
    upstream u${to} { server 127.0.0.1:${to}; keepalive 512; }
    server {
      listen 127.0.0.1:${listen};
      location / { proxy_pass http://u${to}; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; proxy_read_timeout 300s; }
    }`;
  return `worker_processes 1;
user root;
daemon off;
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${work}/body; proxy_temp_path ${work}/proxy; fastcgi_temp_path ${work}/fcgi; uwsgi_temp_path ${work}/uwsgi; scgi_temp_path ${work}/scgi;
  ${server(port, upstreamPort)}
  ${server(instantPort, instantUpstreamPort)}
}
`;
}

async function main(): Promise<void> {
  console.log(
    `router benchmark: ${CONCURRENCY} concurrent streams, ${seconds} s per phase; ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at start (the machine is shared)`,
  );
  const stub = await spawnPrinting(process.execPath, [path.join(REPO_ROOT, 'dist/test/fixtures/simulated-openai-upstream-main.js'), '100', '30', '32']);
  const instant = await spawnPrinting(process.execPath, [path.join(REPO_ROOT, 'dist/test/fixtures/simulated-openai-upstream-main.js'), '0', '100000', '1']);
  const stubUrl = stub.line.url as string;
  const instantUrl = instant.line.url as string;

  const dataDir = path.join(work, 'data');
  const core = openCore({ dataDir });
  const call = async (name: Parameters<typeof core.dispatcher.invoke>[0], input: unknown) => {
    const envelope = await core.dispatcher.invoke(name, input, callContext('cli'));
    if (!envelope.ok) throw new Error(envelope.error.message);
    return envelope.result as Record<string, unknown>;
  };
  await call('router.endpoints.add', { name: 'stub', url: stubUrl, models: ['tiny'], slots: 512 });
  await call('router.endpoints.add', { name: 'instant', url: instantUrl, models: ['instant'], slots: 512 });
  const key = (await call('router.keys.add', { app: 'bench' })).key as string;
  core.close();
  // ROUTER_BENCH_PROFILE=<dir>: the router writes a V8 CPU profile there when it stops (node --cpu-prof).
  const profile = process.env.ROUTER_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.ROUTER_BENCH_PROFILE] : [];
  // The router runs with the flags the app starts it with.
  const router = await spawnPrinting(process.execPath, [...ROUTER_NODE_FLAGS, ...profile, OUTPOST_BIN, '--data-dir', dataDir, '--json', 'router', '--port', '0']);
  const routerUrl = router.line.url as string;

  const chat = (model: string) =>
    JSON.stringify({
      model,
      messages: [
        { role: 'system', content: 'You answer briefly.' },
        { role: 'user', content: 'Describe the weld.' },
      ],
      stream: true,
    });
  const auth = { authorization: `Bearer ${key}` };
  const pids = (extra: Record<string, number>) => ({ stub: stub.child.pid as number, ...extra });

  let nginxBase: string | null = null;
  let nginxInstant: string | null = null;
  let nginxPid = 0;
  if (spawnSync('nginx', ['-v']).status === 0) {
    const [port, instantPort] = [await freePort(), await freePort()];
    fs.writeFileSync(path.join(work, 'nginx.conf'), nginxConfig(port, Number(new URL(stubUrl).port), instantPort, Number(new URL(instantUrl).port)));
    const nginx = spawn('nginx', ['-c', path.join(work, 'nginx.conf'), '-p', work], { stdio: 'ignore' });
    children.push(nginx);
    nginxPid = nginx.pid as number;
    for (let i = 0; i < 50; i += 1) {
      const up = await fetch(`http://127.0.0.1:${port}/v1/models`)
        .then((r) => r.ok)
        .catch(() => false);
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    nginxBase = `http://127.0.0.1:${port}`;
    nginxInstant = `http://127.0.0.1:${instantPort}`;
  } else {
    console.log('nginx is not installed (apt-get install -y nginx): no nginx reference in this run');
  }

  const targets = [
    { name: 'direct', base: stubUrl, headers: {}, pids: pids({}) },
    { name: 'router', base: routerUrl, headers: auth, pids: pids({ router: router.child.pid as number }) },
    ...(nginxBase ? [{ name: 'nginx', base: nginxBase, headers: {}, pids: pids({ nginx: nginxPid }) }] : []),
  ];
  const parts = new Map<string, PhaseResult[]>(targets.map((t) => [t.name, []]));
  for (const target of [...targets, ...[...targets].reverse()]) {
    parts.get(target.name)?.push(await closedLoop(target.name, target.base, chat('tiny'), target.headers, CONCURRENCY, STREAM_S, seconds / 2, target.pids));
  }
  const results = targets.map((t) => merged(parts.get(t.name) ?? []));
  results.forEach(report);

  const [direct, routed, viaNginx] = results as [PhaseResult, PhaseResult, PhaseResult | undefined];
  const added = (r: PhaseResult, p: number) => q(r.ttfb, p) - q(direct.ttfb, p);
  console.log(
    `\nrouter added TTFB: p50 ${ms(added(routed, 0.5))} (target ≤ 1 ms), p99 ${ms(added(routed, 0.99))} (target ≤ 10 ms); tokens/s ${((100 * routed.tokens) / routed.seconds / (direct.tokens / direct.seconds)).toFixed(1)}% of direct (target ≥ 98%); errors ${routed.errors}`,
  );
  if (viaNginx) console.log(`nginx  added TTFB: p50 ${ms(added(viaNginx, 0.5))}, p99 ${ms(added(viaNginx, 0.99))}; tokens/s ${((100 * viaNginx.tokens) / viaNginx.seconds / (direct.tokens / direct.seconds)).toFixed(1)}% of direct; errors ${viaNginx.errors}`);
  // CPU per streamed token: what each proxy costs, less at the mercy of the shared machine's load than latency is.
  const perToken = (r: PhaseResult, proc: string) => `${((1e6 * (r.cpu[proc] ?? 0)) / Math.max(1, r.tokens)).toFixed(1)} µs`;
  console.log(`CPU per streamed token: router ${perToken(routed, 'router')}${viaNginx ? `, nginx ${perToken(viaNginx, 'nginx')}` : ''}`);

  const bursts = [];
  for (const target of targets) bursts.push(await burst(target.name, target.base, chat('tiny'), target.headers, CONCURRENCY, STREAM_S));
  const [directBurst] = bursts as [PhaseResult];
  console.log(`\nburst: ${CONCURRENCY} clients sending at the same moment from idle, ${BURST_ROUNDS} rounds (reported, no target):`);
  for (const b of bursts) {
    const addedLast = b === directBurst ? '' : `; added over direct: p50 ${ms(q(b.ttfb, 0.5) - q(directBurst.ttfb, 0.5))}, last ${ms(q(b.ttfb, 1) - q(directBurst.ttfb, 1))}`;
    console.log(`${b.name.padEnd(8)} TTFB p50 ${ms(q(b.ttfb, 0.5))} last ${ms(q(b.ttfb, 1))}  errors ${b.errors}${addedLast}`);
  }

  const saturationS = Math.min(15, Math.max(2, Math.round(seconds / 2)));
  const instantBody = chat('instant');
  const satRouter = await closedLoop('router', routerUrl, instantBody, auth, SATURATION_CONCURRENCY, 0.1, saturationS, { router: router.child.pid as number, upstream: instant.child.pid as number });
  console.log(`\nsaturation against an instant upstream (${SATURATION_CONCURRENCY} clients, ${saturationS} s):`);
  report(satRouter);
  if (nginxInstant) {
    const satNginx = await closedLoop('nginx', nginxInstant, instantBody, {}, SATURATION_CONCURRENCY, 0.1, saturationS, { nginx: nginxPid, upstream: instant.child.pid as number });
    report(satNginx);
    console.log(`router/nginx requests/s ratio: ${(satRouter.requests / satRouter.seconds / (satNginx.requests / satNginx.seconds)).toFixed(2)} (aim ≥ 0.5)`);
  }
  console.log(
    `load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at end`,
  );
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  fs.rmSync(work, { recursive: true, force: true });
}
