// The folders are layers (README "How it is built"); this file is the rule that keeps them so. It fails closed:
// every source file must belong to a layer (boundaries/no-unknown-files), every import must land on a known file
// (boundaries/no-unknown-dependencies), and an import between layers that no policy allows is an error.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const SOURCES = ['**/*.{js,mjs,cjs,ts,tsx,cts,mts}'];
const TSCONFIGS = ['tsconfig.json', 'renderer/tsconfig.json'];
/** Files that may import anything: tests (beside the code or under test/), benchmarks, fixtures, build scripts. */
const FREE = ['**/*.test.{ts,tsx}', 'test/**', 'scripts/**', 'bin/**', 'eslint.config.js', 'renderer/vite.config.ts'];

// A layer is a folder. A capability is any main/<name>/ that is not platform, app or shell (the first match
// wins), so a new capability gets the same rules without touching this file; main/foo.ts matches nothing.
const ELEMENTS = [
  { type: 'test', pattern: 'test' },
  { type: 'tooling', pattern: ['scripts', 'bin'] },
  { type: 'shared', pattern: 'shared' },
  { type: 'platform-core', pattern: 'main/platform/*/core' },
  { type: 'platform', pattern: 'main/platform' },
  { type: 'app', pattern: 'main/app' },
  { type: 'shell', pattern: 'main/shell' },
  { type: 'core', pattern: 'main/*/core', capture: ['capability'] },
  { type: 'adapters', pattern: 'main/*/adapters', capture: ['capability'] },
  { type: 'capability', pattern: 'main/*', capture: ['capability'] },
  { type: 'renderer', pattern: 'renderer' },
].map((element) => ({ ...element, partialMatch: false }));

const FILES = [
  { category: 'test', pattern: '**/*.test.{ts,tsx}' },
  { category: 'tooling', pattern: ['eslint.config.js', 'renderer/vite.config.ts'] },
];

const layer = (type, selector = {}) => ({ element: { type, ...selector } });
const SAME_CAPABILITY = { captured: { capability: '{{ from.captured.capability }}' } };
const CAPABILITY_INDEX = layer('capability', { fileInternalPath: 'index.ts' });

// Who may import whom; anything not allowed here is refused. FREE files are exempt (their rule is off below).
const POLICIES = [
  { from: layer('shared'), allow: { to: layer('shared') } },
  // platform/<part>/core/ is pure like a capability's core (shell quoting, key fingerprints): every core may load it.
  { from: layer('platform-core'), allow: { to: layer('{shared,platform-core}') } },
  { from: layer('platform'), allow: { to: layer('{shared,platform,platform-core}') } },
  // A core is pure: shared, its own capability's core, platform's pure cores, and only the types of the rest
  // of platform and of another capability's index (loading them would load the store, SSH and SQLite with them).
  {
    from: layer('core'),
    allow: [{ to: layer('{shared,platform-core}') }, { to: layer('core', SAME_CAPABILITY) }, { to: [layer('platform'), CAPABILITY_INDEX], dependency: { kind: 'type' } }],
  },
  {
    from: layer('{adapters,capability}'),
    allow: [{ to: layer('{shared,platform,platform-core}') }, { to: layer('{core,adapters,capability}', SAME_CAPABILITY) }, { to: CAPABILITY_INDEX }],
  },
  // The composition root wires capabilities through their index; only the shells start it.
  { from: layer('app'), allow: [{ to: layer('{shared,platform,platform-core,app}') }, { to: CAPABILITY_INDEX }] },
  { from: layer('shell'), allow: [{ to: layer('{shared,platform,platform-core,app,shell}') }, { to: CAPABILITY_INDEX }] },
  { from: layer('renderer'), allow: { to: layer('{shared,renderer}') } },
  // Product code never imports a test, not even the one beside it.
  { disallow: { to: { file: { categories: 'test' } } } },
];

// What a pure core may not load at run time (a type-only import is erased, so it stays allowed).
const EDGE_MODULES = [
  ...['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'http2', 'dgram', 'dns', 'worker_threads'].flatMap((name) => [name, `node:${name}`]),
  ...['electron', 'ssh2', 'node-ssh', 'better-sqlite3', 'undici', 'ws', 'systeminformation', 'prom-client'],
];
const CLOCK = 'A core reads time from its Clock port, so tests can drive it.';

export default tseslint.config(
  { ignores: ['dist/', 'release/', 'node_modules/', 'test/artifacts/', '.outpost-*/'] },
  { files: SOURCES, ...js.configs.recommended },
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ files: SOURCES, ...config })),
  {
    files: SOURCES,
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { boundaries, 'import-x': importX },
    settings: {
      'boundaries/elements': ELEMENTS,
      'boundaries/files': FILES,
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      'import/resolver': { typescript: { project: TSCONFIGS, noWarnOnMultipleProjects: true } },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: TSCONFIGS, noWarnOnMultipleProjects: true })],
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
    },
    rules: {
      'boundaries/no-unknown-files': 'error',
      'boundaries/no-unknown-dependencies': 'error',
      'boundaries/dependencies': ['error', { default: 'disallow', checkInternals: true, policies: POLICIES }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // node:test's test() and describe() return promises that the runner awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] }],
      // A fake or an adapter may implement an async port without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['**/*.{js,mjs,cjs}'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.cts'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: FREE, rules: { 'boundaries/dependencies': 'off' } },
  {
    files: ['main/*/core/**', 'main/platform/*/core/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: EDGE_MODULES.map((name) => ({ name, allowTypeImports: true, message: 'A core is pure: the edge belongs in adapters/, behind a port.' })) }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: CLOCK }, { object: 'performance', property: 'now', message: CLOCK }],
      'no-restricted-syntax': ['error', { selector: 'NewExpression[callee.name="Date"][arguments.length=0]', message: CLOCK }],
      'no-restricted-globals': ['error', ...['setTimeout', 'setInterval', 'setImmediate'].map((name) => ({ name, message: CLOCK }))],
    },
  },
  {
    files: ['renderer/**'],
    ignores: ['renderer/vite.config.ts'],
    languageOptions: { globals: globals.browser },
    rules: {
      // React calls an async onSubmit/onClick and drops the promise; the handlers catch their own errors.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'url', 'electron'], message: 'The renderer has no Node: it asks the core through the contract.' }] }],
    },
  },
);
