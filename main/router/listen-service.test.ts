import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SupervisedRouter } from '../../shared/domain/router.js';
import { OutpostError } from '../../shared/errors.js';
import type { ListenAddress } from './core/listen-address.js';
import { ListenService, type ListenServiceDeps } from './listen-service.js';

const supervisedBy = (state: SupervisedRouter['state'], pid: number): SupervisedRouter => ({ state, supervisorPid: 1, pid, url: null, restarts: 0, lastExit: null, nextStartAt: null, updatedAt: '2026-01-01T00:00:00.000Z' });

function service(overrides: Partial<ListenServiceDeps> = {}) {
  let stored: ListenAddress = { host: '127.0.0.1', port: 8080 };
  const moves: ListenAddress[] = [];
  let serving: string | null = 'http://127.0.0.1:8080';
  const deps: ListenServiceDeps = {
    setting: { read: () => stored, write: (address) => void (stored = address) },
    environment: () => ({ host: undefined, port: undefined }),
    workstation: () => [{ address: '10.0.0.5', family: 'IPv4', internal: false }],
    bindProblem: () => Promise.resolve(null),
    serving: () => serving,
    supervisor: () => ({
      relisten: (address) => {
        moves.push(address);
        serving = `http://${address.host}:${address.port}`;
        return Promise.resolve(serving);
      },
    }),
    supervised: () => supervisedBy('running', 42),
    models: () => ['tiny'],
    ...overrides,
  };
  return { listen: new ListenService(deps), stored: () => stored, moves };
}

const refusedWith = (code: string, fields: Record<string, RegExp>) => (error: unknown) => {
  assert.ok(error instanceof OutpostError);
  assert.equal(error.code, code);
  for (const [field, pattern] of Object.entries(fields)) assert.match(error.fields?.[field] ?? '', pattern, field);
  return true;
};

test('a valid address moves the router, then is stored; the answer is read back', async () => {
  const { listen, stored, moves } = service();
  const after = await listen.set({ host: '10.0.0.5', port: 9000 });
  assert.deepEqual(moves, [{ host: '10.0.0.5', port: 9000 }]);
  assert.deepEqual(stored(), { host: '10.0.0.5', port: 9000 });
  assert.deepEqual([after.serving, after.exposure, after.baseUrls], ['http://10.0.0.5:9000', 'site-network', ['http://10.0.0.5:9000/v1']]);
  assert.match(after.warning ?? '', /needs an API key/);
});

test('bad input, a pinned field, an external router or a taken port: refused by field, nothing moved or stored', async () => {
  const cases: Array<[Partial<ListenServiceDeps>, { host?: string; port?: number }, string, Record<string, RegExp>]> = [
    [{}, { host: 'router.local', port: 80 }, 'INVALID_INPUT', { host: /not an IP address/, port: /from 1024/ }],
    [{ environment: () => ({ host: undefined, port: 0 }) }, { port: 9000 }, 'PRECONDITION', { port: /set by OUTPOST_ROUTER_PORT/ }],
    [{ supervised: () => supervisedBy('external', 77) }, { port: 9000 }, 'CONFLICT', {}],
    [{ bindProblem: () => Promise.resolve('EADDRINUSE') }, { port: 9000 }, 'CONFLICT', { port: /9000 is in use by another program/ }],
    [{ supervisor: () => ({ relisten: () => Promise.reject(new Error('exit code 1 (EADDRINUSE)')) }) }, { port: 9000 }, 'CONFLICT', { port: /in use/ }],
  ];
  for (const [deps, input, code, fields] of cases) {
    const { listen, stored, moves } = service(deps);
    await assert.rejects(listen.set(input), refusedWith(code, fields), JSON.stringify(input));
    if (deps.supervisor === undefined) assert.deepEqual(moves, []);
    assert.deepEqual(stored(), { host: '127.0.0.1', port: 8080 }, `${code}: the stored setting is unchanged`);
  }
});

test('the environment overrides the stored value, and show says so; a host change still applies under a pinned port', async () => {
  const { listen, moves } = service({ environment: () => ({ host: undefined, port: 8181 }), serving: () => 'http://127.0.0.1:8181' });
  assert.match(listen.show().note ?? '', /OUTPOST_ROUTER_PORT in the site service's environment overrides the stored setting/);
  await listen.set({ host: '0.0.0.0' });
  assert.deepEqual(moves, [{ host: '0.0.0.0', port: 8181 }]);
});

test('without a supervisor (no site service) the checked address is stored for the next start; connect builds snippets for the first model', async () => {
  const { listen, stored } = service({ supervisor: () => null, supervised: () => null, serving: () => null });
  const after = await listen.set({ port: 9100 });
  assert.deepEqual(stored(), { host: '127.0.0.1', port: 9100 });
  assert.match(after.note ?? '', /no site service runs/);
  const connect = listen.connect({});
  assert.deepEqual([connect.baseUrl, connect.model], ['http://127.0.0.1:9100/v1', 'tiny']);
  assert.match(connect.snippets?.curl ?? '', /\$OUTPOST_API_KEY/);
});
