import { shellQuote } from '../../../platform/ssh/core/shell-quote.js';
import { headOf, hostOf, type EngineAdapter, type LaunchLayout, type StagePlacement, type WorkerSpec } from './engine.js';

export const TEMPLATE_PLACEHOLDERS = ['model', 'host', 'port', 'stage', 'firstLayer', 'lastLayer', 'layers', 'node', 'head', 'headPort', 'runDir'] as const;
type Placeholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** `{name}` with a known name; anything else in braces is left for the shell (e.g. `${HOME}` stays as typed). */
const PLACEHOLDER = /(?<!\$)\{([A-Za-z]+)\}/g;

/** Names the template uses that Outpost does not know: refused before anything starts. */
export function unknownPlaceholders(template: string): string[] {
  const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
  return [...new Set(names.filter((n) => !(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(n)))];
}

/**
 * Fills a user's command template. The template's own text is the user's
 * command, run as written; every value Outpost substitutes is shell-quoted, so
 * a model path with spaces, quotes, `$(…)` or newlines stays one inert word.
 */
export function fillTemplate(template: string, values: Record<Placeholder, string>): string {
  const unknown = unknownPlaceholders(template);
  if (unknown.length) throw new Error(`unknown placeholder(s) {${unknown.join('}, {')}}`);
  return template.replace(PLACEHOLDER, (_, name: string) => shellQuote(values[name as Placeholder]));
}

function stageValues(layout: LaunchLayout, stage: StagePlacement): Record<Placeholder, string> {
  const head = headOf(layout);
  const isHead = stage.index === head.index;
  return {
    model: hostOf(layout, stage.node).modelPath ?? layout.modelPath,
    host: stage.address,
    port: isHead ? String(layout.apiPort) : String(layout.ports[`stage-${stage.index}`] ?? ''),
    stage: String(stage.index),
    firstLayer: String(stage.firstLayer),
    lastLayer: String(stage.lastLayer),
    layers: String(stage.layerCount),
    node: stage.node,
    head: head.address,
    headPort: String(layout.apiPort),
    runDir: hostOf(layout, stage.node).runDir,
  };
}

/** One process per stage from the user's template; the head (stage 0) serves the OpenAI API and starts last. */
export const customEngine: EngineAdapter = {
  kind: 'custom',
  readinessPath: '/v1/models',
  modelOnEveryHost: true,
  binariesFor: () => [],
  portsNeeded: (stages) => stages.slice(1).map((s) => ({ key: `stage-${s.index}`, node: s.node })),
  workers(layout) {
    const template = layout.template;
    if (!template) throw new Error('the custom engine needs a template');
    const specs = layout.stages.map((stage): WorkerSpec => {
      const isHead = stage.index === headOf(layout).index;
      return {
        name: isHead ? 'head' : `stage-${stage.index}`,
        role: isHead ? 'head' : 'stage',
        node: stage.node,
        address: stage.address,
        stageIndex: stage.index,
        program: '/bin/sh',
        args: ['-c', fillTemplate(template, stageValues(layout, stage))],
        env: {},
        listen: { host: stage.address, port: Number(stageValues(layout, stage).port) },
        health: isHead ? { kind: 'http', path: '/v1/models' } : { kind: 'process' },
      };
    });
    return [...specs.slice(1), ...specs.slice(0, 1)];
  },
};
