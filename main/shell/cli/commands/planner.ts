import { InvalidArgumentError, Option, type Command } from 'commander';
import { OutpostError } from '../../../../shared/errors.js';
import { formatPlan } from '../plan-format.js';
import type { CliRuntime } from '../runtime.js';
import { integerBetween } from './options.js';

interface PlanOptions {
  model?: string;
  nodeFile?: { node: string; path: string };
  nodes?: string[];
  gpus?: Array<{ gpu: string; node?: string; count: number }>;
  quant?: string;
  context: number;
  parallel: number;
  objective: 'throughput' | 'latency';
  utilisation: number;
  explain?: boolean;
  save: boolean;
  calibrate: boolean;
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/** `2xA100-80GB@srv1` → two A100-80GB on node srv1; the node part groups GPUs of one server. */
function gpuList(value: string) {
  return list(value).map((entry) => {
    const match = /^(?:(\d+)x)?([^@]+?)(?:@(.+))?$/.exec(entry);
    if (!match?.[2]) throw new InvalidArgumentError(`"${entry}" is not a GPU (e.g. A100-80GB, 2xT4, L40S@srv1).`);
    const count = match[1] ? Number(match[1]) : 1;
    if (count < 1 || count > 256) throw new InvalidArgumentError(`"${entry}": a count from 1 to 256.`);
    return match[3] ? { gpu: match[2], node: match[3], count } : { gpu: match[2], count };
  });
}

/** `gpu-a10g-01:/home/u/models/x.gguf`: a GGUF file as `outpost nodes` lists it on that node. */
function nodeFile(value: string): { node: string; path: string } {
  const colon = value.indexOf(':/');
  if (colon < 1) throw new InvalidArgumentError('<node>:<absolute path>, e.g. gpu-a10g-01:/home/outpost/models/llama-3.1-8b-Q4_K_M.gguf.');
  return { node: value.slice(0, colon), path: value.slice(colon + 1) };
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('a fraction above 0 and at most 1, e.g. 0.9.');
  return n;
}

export function registerPlannerCommands(program: Command, cli: CliRuntime): void {
  const plan = program
    .command('plan')
    .description('plan how to shard a model across GPUs: exact optimal uneven pipeline stages, stored for `launch`')
    .option('--model <name[@version]|file.gguf>', 'an HQ release by name (newest) or name@version (see `outpost models`), a catalog model (see `outpost plans catalog`) or a GGUF file on this workstation')
    .option('--node-file <node:/path.gguf>', 'a GGUF file found on a discovered node (its header is read over SSH)', nodeFile)
    .option('--nodes <a,b>', 'inventory nodes to use (their GPUs, or CPU and RAM)', list)
    .option('--gpus <list>', 'GPU types, e.g. A100-80GB,L40S,2xT4 or A100-80GB@srv1', gpuList)
    .option('--quant <q>', 'quantization (F16, Q8_0, Q4_K_M, …); a GGUF file has its own')
    .option('--context <n>', 'context length in tokens', integerBetween(0, 10_000_000), 8192)
    .option('--parallel <n>', 'parallel sequences', integerBetween(1, 1024), 1)
    .addOption(new Option('--objective <objective>', 'what to optimise').choices(['throughput', 'latency']).default('throughput'))
    .option('--utilisation <fraction>', 'usable share of each GPU memory', fraction, 0.9)
    .option('--explain', 'say why each GPU got its layers, what limits the plan, and what other quantizations would give')
    .option('--no-save', 'do not store the plan')
    .option('--no-calibrate', "plan with the bare cost model, not this site's measured calibration")
    .action(async (opts: PlanOptions) => {
      const { planId, plan } = await cli.call('planner.plan', {
        ...(opts.nodeFile ? { nodeModel: opts.nodeFile } : {}),
        model: opts.model,
        quant: opts.quant,
        context: opts.context,
        parallel: opts.parallel,
        objective: opts.objective,
        utilisation: opts.utilisation,
        devices: opts.gpus ?? [],
        inventoryNodes: opts.nodes ?? [],
        save: opts.save,
        calibrate: opts.calibrate,
      });
      cli.print({ planId, plan }, () => formatPlan(planId, plan, opts.explain === true));
      if (!plan.feasible) {
        throw new OutpostError('INVALID_INPUT', `${plan.model.name} ${plan.model.quant} does not fit on these devices`, plan.reason);
      }
    });

  const plans = program.command('plans').description('stored plans');
  // Both spellings: `plan delete` reads as the verb on one plan, `plans delete` beside `plans show`.
  for (const parent of [plan, plans]) registerPlanDelete(parent, cli);
  plans
    .command('list', { isDefault: true })
    .description('stored plans, newest first')
    .action(async () => {
      const stored = await cli.call('planner.list', {});
      cli.print(stored, () =>
        stored.length === 0
          ? 'no stored plans yet — run `outpost plan`'
          : stored.map((p) => `${p.id}  ${p.createdAt}  ${p.model} ${p.quant}  ${p.stages} stage${p.stages === 1 ? '' : 's'}  ${p.aggregateTokensPerSecond.toFixed(1)} tok/s  (${p.objective})`).join('\n'),
      );
    });
  plans
    .command('show')
    .argument('<plan-id>')
    .description('one stored plan, with its stages and estimates')
    .option('--explain', 'with the explanation and the what-if table')
    .action(async (id: string, opts: { explain?: boolean }) => {
      const stored = await cli.call('planner.get', { id });
      cli.print(stored, () => formatPlan(stored.id, stored.plan, opts.explain === true));
    });
  plans
    .command('calibration')
    .description("plan vs actual: the measured factors later plans apply, per device, engine and quantisation (this site's and HQ's)")
    .action(async () => {
      const records = await cli.call('planner.calibration', {});
      cli.print({ records }, () =>
        records.length === 0
          ? 'no calibration yet: a launch measures its deployment once it is ready'
          : records
              .map(
                (r) =>
                  `${r.gpu} ${r.engine} ${r.quant} (${r.origin}): memory ×${r.memoryFactor?.toFixed(3) ?? '-'} from ${r.memorySamples}, speed ×${r.speedFactor?.toFixed(3) ?? '-'} from ${r.speedSamples}; newest ${r.measuredAt}${r.provenance[0] ? ` (${r.provenance[0].deploymentId} at ${r.provenance[0].site})` : ''}`,
              )
              .join('\n'),
      );
    });
  plans
    .command('catalog')
    .description('the GPUs, models and quantizations the planner knows, with sources')
    .action(async () => {
      const catalog = await cli.call('planner.catalog', {});
      cli.print(catalog, () =>
        [
          'GPUs:',
          ...catalog.gpus.map((g) => `  ${g.name.padEnd(22)} ${(g.memoryBytes / 1e9).toFixed(0).padStart(4)} GB  ${String(g.fp16Tflops).padStart(6)} TFLOPS  ${String(g.bandwidthGBs).padStart(6)} GB/s${g.unifiedMemory ? '  unified' : ''}`),
          'Models:',
          ...catalog.models.map((m) => `  ${m.name.padEnd(16)} ${String(m.layers).padStart(4)} layers  hidden ${m.hiddenSize}  heads ${m.heads}/${m.kvHeads}  context ${m.maxContext}`),
          'Quantizations:',
          ...catalog.quantizations.map((q) => `  ${q.name.padEnd(8)} ${q.bitsPerWeight} bits/weight`),
        ].join('\n'),
      );
    });
}

function registerPlanDelete(parent: Command, cli: CliRuntime): void {
  parent
    .command('delete')
    .argument('<plan-id>', 'a stored plan (see `outpost plans`)')
    .description('delete a stored plan (refused while a live deployment uses it)')
    .action(async (id: string) => {
      const deleted = await cli.call('planner.delete', { id });
      cli.print(deleted, () => `deleted ${deleted.id}`);
    });
}
