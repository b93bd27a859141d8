// The real llama.cpp binaries for tests and the demo: built once by scripts/install-engine.sh (cached outside
// the repo, keyed by the pinned version; instant when cached). Never skipped: a missing engine fails loudly.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';

let cached: string | undefined;

/** The folder holding llama-server and ggml-rpc-server. */
export function engineBinDir(): string {
  cached ??= execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'install-engine.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .at(-1) as string;
  return cached;
}
