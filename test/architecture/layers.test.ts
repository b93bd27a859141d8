import assert from 'node:assert/strict';
import test from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { REPO_ROOT } from '../helpers/cli.js';

// The layers are kept by the lint (eslint.config.js). This test runs its layer rules alone, without types, on the
// tree and on files that break each rule on purpose, so that a rule that stops biting (a typo in a pattern, a
// plugin upgrade that renames a selector) fails here instead of letting every import through.

const LAYER_RULES = /^(boundaries\/|import-x\/no-cycle$|@typescript-eslint\/no-restricted-imports$|no-restricted-(imports|properties|syntax|globals)$)/;

const eslint = new ESLint({
  cwd: REPO_ROOT,
  overrideConfig: [{ files: ['**/*'], ...tseslint.configs.disableTypeChecked }],
  ruleFilter: ({ ruleId }) => LAYER_RULES.test(ruleId),
});

async function layerErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${REPO_ROOT}/${filePath}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

test('the tree keeps its layers', async () => {
  const results = await eslint.lintFiles(['main', 'shared', 'renderer', 'test']);
  const offences = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(REPO_ROOT.length + 1)}:${m.line} ${m.ruleId ?? 'parse'}: ${m.message}`));
  assert.deepEqual(offences, []);
});

const REFUSED: Array<{ what: string; file: string; source: string; rule: string }> = [
  { what: 'a file outside every layer', file: 'main/stray.ts', source: 'export const x = 1;', rule: 'boundaries/no-unknown-files' },
  { what: 'shared/ importing main/', file: 'shared/probe.ts', source: "export { openCore } from '../main/app/core.js';", rule: 'boundaries/dependencies' },
  { what: 'platform importing a capability', file: 'main/platform/probe.ts', source: "export { IdentityService } from '../identity/index.js';", rule: 'boundaries/dependencies' },
  { what: "a capability reaching past another's index", file: 'main/discovery/adapters/probe.ts', source: "export { IdentityService } from '../../identity/service.js';", rule: 'boundaries/dependencies' },
  { what: 'a capability importing the composition root', file: 'main/discovery/probe.ts', source: "export { openCore } from '../app/core.js';", rule: 'boundaries/dependencies' },
  { what: 'the composition root importing a shell', file: 'main/app/probe.ts', source: "export * from '../shell/cli/program.js';", rule: 'boundaries/dependencies' },
  { what: 'a shell reaching into a capability', file: 'main/shell/cli/probe.ts', source: "export { IdentityService } from '../../identity/service.js';", rule: 'boundaries/dependencies' },
  { what: 'product code importing test helpers', file: 'main/discovery/probe.ts', source: "export * from '../../test/helpers/temp.js';", rule: 'boundaries/dependencies' },
  { what: 'product code importing the test beside it', file: 'main/discovery/core/probe.ts', source: "export * from './targets.test.js';", rule: 'boundaries/dependencies' },
  { what: 'an import of a file no layer covers', file: 'main/discovery/probe.ts', source: "export * from '../../docs/nothing.js';", rule: 'boundaries/no-unknown-dependencies' },
  { what: 'a core loading node:fs', file: 'main/discovery/core/probe.ts', source: "import fs from 'node:fs';\nexport const read = fs.readFileSync;", rule: '@typescript-eslint/no-restricted-imports' },
  { what: 'a core loading ssh2', file: 'main/discovery/core/probe.ts', source: "export { Client } from 'ssh2';", rule: '@typescript-eslint/no-restricted-imports' },
  { what: "a core loading another capability's index", file: 'main/workers/core/probe.ts', source: "export { shellQuote } from '../../discovery/index.js';", rule: 'boundaries/dependencies' },
  { what: "a core loading another capability's core", file: 'main/workers/core/probe.ts', source: "export { parseTargets } from '../../discovery/core/targets.js';", rule: 'boundaries/dependencies' },
  { what: 'a core loading the SSH layer', file: 'main/workers/core/probe.ts', source: "export { PinnedSsh } from '../../platform/ssh/index.js';", rule: 'boundaries/dependencies' },
  { what: "platform's pure core loading the rest of platform", file: 'main/platform/ssh/core/probe.ts', source: "export { PinnedSsh } from '../index.js';", rule: 'boundaries/dependencies' },
  { what: 'a core loading the store', file: 'main/discovery/core/probe.ts', source: "export { openDatabase } from '../../platform/store/index.js';", rule: 'boundaries/dependencies' },
  { what: 'a core reading the wall clock', file: 'main/discovery/core/probe.ts', source: 'export const now = () => Date.now();', rule: 'no-restricted-properties' },
  { what: 'a core setting a timer', file: 'main/discovery/core/probe.ts', source: 'export const later = (f: () => void) => setTimeout(f, 1);', rule: 'no-restricted-globals' },
  { what: "a new capability's core loading node:fs", file: 'main/newcomer/core/probe.ts', source: "export { readFileSync } from 'node:fs';", rule: '@typescript-eslint/no-restricted-imports' },
  { what: 'the renderer importing main/', file: 'renderer/probe.ts', source: "export { openCore } from '../main/app/core.js';", rule: 'boundaries/dependencies' },
  { what: 'the renderer loading a Node module', file: 'renderer/probe.ts', source: "export { readFileSync } from 'node:fs';", rule: 'no-restricted-imports' },
];

for (const probe of REFUSED) {
  test(`the lint refuses ${probe.what}`, async () => {
    const errors = await layerErrors(probe.file, probe.source);
    assert.ok(
      errors.some((e) => e.startsWith(`${probe.rule}:`)),
      `expected ${probe.rule} on ${probe.file}, got ${JSON.stringify(errors)}`,
    );
  });
}

test('the lint allows what the layers allow', async () => {
  const allowed: Array<[string, string]> = [
    ['main/discovery/adapters/probe.ts', "export { IdentityService } from '../../identity/index.js';\nexport { parseTargets } from '../core/targets.js';\nexport type { CallContext } from '../../platform/dispatcher.js';"],
    [
      'main/workers/core/probe.ts',
      "import type { SiteScan } from '../../discovery/index.js';\nimport type { Client } from 'ssh2';\nimport type { RemoteShell } from '../../platform/ssh/index.js';\nexport { shellQuote } from '../../platform/ssh/core/shell-quote.js';\nexport type Three = [SiteScan, Client, RemoteShell];\nexport const at = (iso: string) => new Date(iso);",
    ],
    ['main/app/probe.ts', "export { IdentityService } from '../identity/index.js';\nexport * from '../platform/events.js';"],
    ['main/shell/cli/probe.ts', "export { openCore } from '../../app/core.js';"],
    ['renderer/probe.ts', "export * from '../shared/contract/index.js';"],
    ['test/probe.ts', "export * from '../main/identity/service.js';\nexport * from '../main/app/core.js';"],
  ];
  for (const [file, source] of allowed) assert.deepEqual(await layerErrors(file, source), [], file);
});
