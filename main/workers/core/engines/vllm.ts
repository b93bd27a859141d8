import { binaryOn, headOf, portOf, type EngineAdapter, type LaunchLayout, type StagePlacement, type WorkerSpec } from './engine.js';

const RAY_PORT = 'ray';

/** Nodes in pipeline order, each once. */
const nodesOf = (stages: readonly StagePlacement[]): StagePlacement[] => stages.filter((s, i) => stages.findIndex((t) => t.node === s.node) === i);

/**
 * vLLM: one `vllm serve` on the head with pipeline parallelism across the
 * plan's stages. Across hosts it runs on a Ray cluster (a Ray head beside it,
 * a Ray worker on every other host). vLLM splits layers evenly unless told
 * otherwise; VLLM_PP_LAYER_PARTITION carries the plan's uneven split.
 */
export const vllmEngine: EngineAdapter = {
  kind: 'vllm',
  readinessPath: '/v1/models',
  modelOnEveryHost: true,
  binariesFor(stages) {
    const [head] = stages;
    if (!head) return [];
    const nodes = nodesOf(stages);
    return [{ node: head.node, binary: 'vllm' }, ...(nodes.length > 1 ? nodes.map((s) => ({ node: s.node, binary: 'ray' })) : [])];
  },
  portsNeeded(stages) {
    const [head] = stages;
    return head && nodesOf(stages).length > 1 ? [{ key: RAY_PORT, node: head.node }] : [];
  },
  workers(layout: LaunchLayout): WorkerSpec[] {
    const head = headOf(layout);
    const nodes = nodesOf(layout.stages);
    const distributed = nodes.length > 1;
    const ray: WorkerSpec[] = distributed
      ? nodes.map((s, i) => {
          const rayPort = portOf(layout, RAY_PORT);
          const gpus = String(layout.stages.filter((t) => t.node === s.node && t.gpu !== 'CPU').length);
          return {
            name: i === 0 ? 'ray-head' : `ray-${s.index}`,
            role: i === 0 ? 'ray-head' : 'ray-worker',
            node: s.node,
            address: s.address,
            stageIndex: i === 0 ? null : s.index,
            program: binaryOn(layout, s.node, 'ray'),
            args: i === 0 ? ['start', '--head', '--block', '--port', String(rayPort), '--node-ip-address', s.address, '--num-gpus', gpus] : ['start', '--block', '--address', `${head.address}:${rayPort}`, '--node-ip-address', s.address, '--num-gpus', gpus],
            env: {},
            listen: i === 0 ? { host: s.address, port: rayPort } : null,
            health: { kind: 'process' },
          } satisfies WorkerSpec;
        })
      : [];
    const serve: WorkerSpec = {
      name: 'head',
      role: 'head',
      node: head.node,
      address: head.address,
      stageIndex: head.index,
      program: binaryOn(layout, head.node, 'vllm'),
      args: [
        'serve',
        layout.modelPath,
        '--served-model-name',
        layout.servedModel,
        '--host',
        head.address,
        '--port',
        String(layout.apiPort),
        '--max-model-len',
        String(layout.context),
        '--max-num-seqs',
        String(layout.parallel),
        '--pipeline-parallel-size',
        String(layout.stages.length),
        '--tensor-parallel-size',
        '1',
        '--distributed-executor-backend',
        distributed ? 'ray' : 'mp',
      ],
      env: { VLLM_PP_LAYER_PARTITION: layout.stages.map((s) => s.layerCount).join(',') },
      listen: { host: head.address, port: layout.apiPort },
      health: { kind: 'http', path: '/health' },
    };
    return [...ray, serve];
  },
};
