import { shellQuote } from '../../platform/ssh/core/shell-quote.js';
import type { StagePlacement } from './engines/index.js';

/** Names a binary role may have on disk: llama.cpp renamed its RPC worker to ggml-rpc-server. */
export const BINARY_CANDIDATES: Record<string, readonly string[]> = {
  'llama-server': ['llama-server'],
  'rpc-server': ['ggml-rpc-server', 'rpc-server'],
  ssh: ['ssh'],
  vllm: ['vllm'],
  ray: ['ray'],
};
/** Only these are safe to run with --version: an rpc-server would start serving instead. */
const VERSIONED = new Set(['llama-server', 'vllm']);

export interface PreflightRequest {
  binaries: readonly string[];
  /** The model on this host, absolute, when this host loads it. */
  modelPath: string | null;
}

/** What a host's llama.cpp binary says of itself, per role ('llama-server', 'rpc-server'): see llamaCppProbe. */
export interface LlamaCppFacts {
  /** `--version`'s line of the llama-server used, or of the one beside the rpc-server: `0.4.0-dev (build 1, commit 80fb11a)`. */
  build: string | null;
  /** The RPC protocol ggml-rpc-server announces (`Starting RPC server v6.0.0`): its own, or the one beside the head's llama-server. */
  protocol: string | null;
  /** Whether the rpc-server takes `-c` (a local tensor cache). */
  cache: boolean;
}

export interface HostFacts {
  binaries: Record<string, string | null>;
  versions: Record<string, string>;
  llamaCpp: Record<string, LlamaCppFacts>;
  memAvailableBytes: number | null;
  gpuFreeMiB: Map<number, number>;
  listening: Set<number>;
  model: { sizeBytes: number; sha256: string } | null;
}

const q = shellQuote;

const LLAMA_CPP_ROLES = new Set(['llama-server', 'rpc-server']);
/**
 * ggml-rpc-server has no --version; it prints its RPC protocol as it starts, before it binds. Given an address that
 * cannot be bound it prints that line and exits at once (11 ms here), so nothing is ever served; `timeout` ends
 * one that would hang initialising its devices.
 */
const rpcProtocolOf = (binary: string): string => `$(command -v timeout >/dev/null 2>&1 && timeout 20 ${binary} -H 255.255.255.255 -p 1 -t 1 </dev/null 2>&1 | sed -n 's/^Starting RPC server v\\([0-9][0-9.]*\\).*/\\1/p' | head -n 1)`;
const buildOf = (binary: string): string => `$(${binary} --version 2>&1 | sed -n 's/^version: *//p' | head -n 1)`;

/**
 * For the RPC version check: the build and RPC protocol of a llama.cpp role's binary (`$p`). The other half of
 * each pair is read from the sibling binary of the same install (the same folder): llama-server cannot tell its
 * protocol, and ggml-rpc-server cannot tell its build.
 */
function llamaCppProbe(role: string): string {
  const r = q(role);
  const sibling = (names: readonly string[]) => `s=; for n in ${names.map(q).join(' ')}; do [ -x "$d/$n" ] && s="$d/$n" && break; done`;
  if (role === 'llama-server') {
    return `[ -n "$p" ] && { d=$(dirname "$p"); echo llamacpp ${r} build "${buildOf('"$p"')}"; ${sibling(BINARY_CANDIDATES['rpc-server'] ?? [])}; [ -n "$s" ] && echo llamacpp ${r} proto "${rpcProtocolOf('"$s"')}"; }`;
  }
  return `[ -n "$p" ] && { d=$(dirname "$p"); echo llamacpp ${r} proto "${rpcProtocolOf('"$p"')}"; "$p" --help 2>&1 | grep -q -e '--cache' && echo llamacpp ${r} cache yes; ${sibling(['llama-server'])}; [ -n "$s" ] && echo llamacpp ${r} build "${buildOf('"$s"')}"; }`;
}

/** One round trip per host: binaries, versions, free memory (RAM and GPUs), listening ports, the model's digest. */
export function preflightScript(request: PreflightRequest): string {
  const lines: string[] = [];
  for (const role of request.binaries) {
    const names = BINARY_CANDIDATES[role] ?? [role];
    lines.push(`p=; for n in ${names.map(q).join(' ')}; do p=$(command -v "$n" 2>/dev/null) && break; done; echo bin ${q(role)} "\${p:-missing}"`);
    if (VERSIONED.has(role)) lines.push(`[ -n "$p" ] && echo ver ${q(role)} "$("$p" --version 2>&1 | grep -v '^INFO' | head -n 1)"`);
    if (LLAMA_CPP_ROLES.has(role)) lines.push(llamaCppProbe(role));
  }
  // The simulated site serves its machine's /proc/meminfo under OUTPOST_PROBE_ROOT, as for discovery's probe.
  lines.push(`awk '/^MemAvailable:/ { printf "memavail %d\\n", $2 * 1024 }' "\${OUTPOST_PROBE_ROOT:-}/proc/meminfo" 2>/dev/null`);
  lines.push(`command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=index,memory.free --format=csv,noheader,nounits 2>/dev/null | awk -F', *' '{ print "gpufree", $1, $2 }'`);
  // Ports are the real machine's: read the kernel's tables directly.
  lines.push(`cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" { n = split($2, a, ":"); print "listen", a[n] }'`);
  if (request.modelPath) {
    const m = q(request.modelPath);
    const cache = q(`${request.modelPath}.outpost-sha256`);
    lines.push(
      `if [ -f ${m} ]; then st=$(stat -c '%s %Y' ${m}); if [ -f ${cache} ] && [ "$(cut -d' ' -f2- ${cache})" = "$st" ]; then d=$(cut -d' ' -f1 ${cache}); else d=$(sha256sum ${m} | cut -d' ' -f1); echo "$d $st" > ${cache} 2>/dev/null; fi; echo model "\${st%% *}" "$d"; else echo model missing; fi`,
    );
  }
  lines.push('true');
  return lines.join('\n');
}

export function parsePreflight(stdout: string): HostFacts {
  const facts: HostFacts = { binaries: {}, versions: {}, llamaCpp: {}, memAvailableBytes: null, gpuFreeMiB: new Map(), listening: new Set(), model: null };
  for (const line of stdout.split('\n')) {
    const [kind, a, ...rest] = line.trim().split(' ');
    if (kind === 'bin' && a) facts.binaries[a] = rest[0] && rest[0] !== 'missing' ? rest.join(' ') : null;
    else if (kind === 'ver' && a) facts.versions[a] = rest.join(' ').trim();
    else if (kind === 'llamacpp' && a && LLAMA_CPP_ROLES.has(a)) readLlamaCpp((facts.llamaCpp[a] ??= { build: null, protocol: null, cache: false }), rest);
    else if (kind === 'memavail' && a && /^\d+$/.test(a)) facts.memAvailableBytes = Number(a);
    else if (kind === 'gpufree' && a && /^\d+$/.test(a) && rest[0] && /^\d+$/.test(rest[0])) facts.gpuFreeMiB.set(Number(a), Number(rest[0]));
    else if (kind === 'listen' && a && /^[0-9A-Fa-f]{4}$/.test(a)) facts.listening.add(parseInt(a, 16));
    else if (kind === 'model' && a && a !== 'missing' && rest[0] && /^[0-9a-f]{64}$/.test(rest[0])) facts.model = { sizeBytes: Number(a), sha256: rest[0] };
  }
  return facts;
}

function readLlamaCpp(facts: LlamaCppFacts, [key, ...value]: string[]): void {
  const text = value.join(' ').trim().slice(0, 200);
  if (key === 'build' && text) facts.build = text;
  else if (key === 'proto' && /^\d+\.\d+\.\d+$/.test(text)) facts.protocol = text;
  else if (key === 'cache' && text === 'yes') facts.cache = true;
}

export interface PreflightProblem {
  node: string;
  reason: string;
}

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(bytes < 1e9 ? 3 : 1)} GB`;

/** What stops a launch, per host: a missing binary, too little memory for its stages, the API port taken. */
export function preflightProblems(options: {
  stages: readonly StagePlacement[];
  memoryByStage: ReadonlyMap<number, number>;
  needs: ReadonlyArray<{ node: string; binary: string }>;
  facts: ReadonlyMap<string, HostFacts>;
  apiPort: number | null;
}): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  for (const need of options.needs) {
    if (!options.facts.get(need.node)?.binaries[need.binary]) {
      const names = (BINARY_CANDIDATES[need.binary] ?? [need.binary]).join(' or ');
      problems.push({ node: need.node, reason: `${names} is not on the login PATH` });
    }
  }
  const cpuNeed = new Map<string, number>();
  for (const stage of options.stages) {
    const need = options.memoryByStage.get(stage.index) ?? 0;
    const facts = options.facts.get(stage.node);
    if (!facts) continue;
    if (stage.gpu === 'CPU') {
      cpuNeed.set(stage.node, (cpuNeed.get(stage.node) ?? 0) + need);
      continue;
    }
    const free = facts.gpuFreeMiB.get(stage.gpuOrdinal);
    if (free === undefined) problems.push({ node: stage.node, reason: `GPU ${stage.gpuOrdinal} (${stage.gpu}) for stage ${stage.index} is not visible to nvidia-smi` });
    else if (free * 2 ** 20 < need) problems.push({ node: stage.node, reason: `stage ${stage.index} needs ${gb(need)} on GPU ${stage.gpuOrdinal}, ${gb(free * 2 ** 20)} free` });
  }
  for (const [node, need] of cpuNeed) {
    const free = options.facts.get(node)?.memAvailableBytes;
    if (free === null || free === undefined) problems.push({ node, reason: 'free memory could not be read (/proc/meminfo)' });
    else if (free < need) problems.push({ node, reason: `its stages need ${gb(need)} of RAM, ${gb(free)} available` });
  }
  const head = options.stages[0];
  if (head && options.apiPort !== null && options.facts.get(head.node)?.listening.has(options.apiPort)) {
    problems.push({ node: head.node, reason: `port ${options.apiPort} is already in use there (choose another with --port)` });
  }
  return problems;
}

/**
 * Free ports for what the engine asked, from `start` up, each free on its own
 * node and distinct across the deployment (hosts may share an address space,
 * as on one machine's loopback).
 */
export function allocatePorts(needs: ReadonlyArray<{ key: string; node: string }>, facts: ReadonlyMap<string, HostFacts>, reserved: readonly number[], start: number): Record<string, number> {
  const taken = new Set(reserved);
  const ports: Record<string, number> = {};
  let next = start;
  for (const need of needs) {
    const listening = facts.get(need.node)?.listening ?? new Set<number>();
    while (taken.has(next) || listening.has(next)) next += 1;
    if (next > 65535) throw new Error('no free port left');
    ports[need.key] = next;
    taken.add(next);
  }
  return ports;
}
