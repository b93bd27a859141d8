import type { LlamaCppFacts, PreflightProblem } from './preflight.js';

export interface LlamaCppSide {
  node: string;
  /** "the head" or "stage 2's rpc-server": how the refusal names it. */
  what: string;
  facts: LlamaCppFacts | undefined;
}

export interface RpcCompatibility {
  problems: PreflightProblem[];
  /** Pairs that could not be compared (neither protocol nor build readable on both sides), said in the launch's progress. */
  unchecked: string[];
}

/** `0.4.0-dev (build 1, commit 80fb11a)` → `build 1, commit 80fb11a`: what identifies llama.cpp's source, whatever the backend it was built with. */
const sourceOf = (build: string): string => /\((build \d+, commit [0-9a-f]+)\)/.exec(build)?.[1] ?? build;
const majorMinor = (protocol: string): string => protocol.split('.').slice(0, 2).join('.');
const describe = (side: LlamaCppSide): string => `${side.what} on ${side.node} (build ${side.facts?.build ?? 'unknown'}, RPC protocol ${side.facts?.protocol ?? 'unknown'})`;

/**
 * Whether the head's llama.cpp and each rpc-server's speak the same RPC protocol, before anything starts. The
 * protocols are compared when both are known (major and minor must agree: llama.cpp's head aborts on a newer
 * minor or another major, and an older minor may lack commands the head sends); otherwise the builds (build
 * number and commit), since one source speaks one protocol. Neither readable on both sides: left unchecked, said.
 */
export function rpcCompatibility(head: LlamaCppSide, members: readonly LlamaCppSide[]): RpcCompatibility {
  const result: RpcCompatibility = { problems: [], unchecked: [] };
  for (const member of members) {
    const [a, b] = [head.facts, member.facts];
    if (a?.protocol && b?.protocol) {
      if (majorMinor(a.protocol) !== majorMinor(b.protocol)) {
        result.problems.push({ node: member.node, reason: `${describe(member)} does not speak the RPC protocol of ${describe(head)}; install the same llama.cpp build on both` });
      }
    } else if (a?.build && b?.build) {
      if (sourceOf(a.build) !== sourceOf(b.build)) {
        result.problems.push({ node: member.node, reason: `${describe(member)} is another llama.cpp build than ${describe(head)} and its RPC protocol could not be read to say they agree; install the same llama.cpp build on both` });
      }
    } else {
      result.unchecked.push(`${member.what} on ${member.node} against ${head.what} on ${head.node}`);
    }
  }
  return result;
}
