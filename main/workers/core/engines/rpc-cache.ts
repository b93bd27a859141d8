import { shellQuote } from '../../../platform/ssh/core/shell-quote.js';

/**
 * ggml-rpc-server's local tensor cache (`-c`): every tensor over 10 MiB it is sent is written to
 * `$LLAMA_CACHE/rpc/<fnv-hash>`, and on the next load the head sends only the hash of a tensor the cache holds.
 * Outpost points LLAMA_CACHE at one folder per host that outlives deployments, so a restart, and a relaunch of
 * the same model, sends the big tensors once.
 *
 * llama.cpp writes a cache file in place and trusts it by its name alone (the size read back is the size loaded),
 * so a file cut short by a load that was killed would be loaded as it is. Hence a stamp: touched before an
 * rpc-server starts, removed once the head is ready (every tensor then arrived and was written whole). Before the
 * next start, files newer than a stamp still there are what an unfinished load wrote, and go.
 */

/** One folder per host (under the login's home), shared by its deployments: tensors are named by content. */
export const rpcCacheDirFor = (home: string): string => `${home}/.outpost/rpc-cache`;

/** Cached tensors no pipeline has read for this many days are removed at the next start on that host. */
export const RPC_CACHE_UNUSED_DAYS = 30;

const stampOf = (cacheDir: string): string => `${cacheDir}/loading`;

/** Before an rpc-server starts: drop what an unfinished load wrote, drop long-unused tensors, stamp this load. */
export function rpcCacheBeforeStart(cacheDir: string): string {
  const files = shellQuote(`${cacheDir}/rpc`);
  const stamp = shellQuote(stampOf(cacheDir));
  return [`mkdir -p ${files}`, `[ -e ${stamp} ] && find ${files} -type f -newer ${stamp} -delete`, `find ${files} -type f -atime +${RPC_CACHE_UNUSED_DAYS} -delete`, `touch ${stamp}`].join('\n');
}

/** Once the head is ready: every file the load wrote is whole. */
export const rpcCacheAfterReady = (cacheDir: string): string => `rm -f ${shellQuote(stampOf(cacheDir))}`;
