/** One GPU of a node as discovery recorded it: nvidia-smi's index, and the catalog entry its name maps to. */
export interface NodeGpu {
  index: number;
  catalogName: string | null;
}

/**
 * nvidia-smi's index of the GPU each stage runs on, which names it on its
 * host (CUDA_VISIBLE_DEVICES on an rpc-server, CUDA<i> on the head). The
 * planner named each of a node's GPUs by its catalog entry from this same
 * inventory, so a stage takes the first GPU of its node with the stage's
 * catalog name that no earlier stage took. A plan made from GPU names alone
 * (no inventory to match) falls back to the stage's rank among its node's
 * GPU stages. CPU stages get 0, which nothing reads.
 */
export function gpuOrdinals(stages: ReadonlyArray<{ node: string; gpu: string }>, gpusOf: (node: string) => readonly NodeGpu[]): number[] {
  const taken = new Map<string, Set<number>>();
  const rank = new Map<string, number>();
  return stages.map((stage) => {
    if (stage.gpu === 'CPU') return 0;
    const used = taken.get(stage.node) ?? new Set<number>();
    taken.set(stage.node, used);
    const nth = rank.get(stage.node) ?? 0;
    rank.set(stage.node, nth + 1);
    const match = gpusOf(stage.node).find((g) => g.catalogName === stage.gpu && !used.has(g.index));
    const index = match?.index ?? nth;
    used.add(index);
    return index;
  });
}
