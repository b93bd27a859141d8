import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import { startSiteService } from '../helpers/browser-mode.js';
import { tempDir } from '../helpers/temp.js';
import { seededRandom, type SeededRandom } from '../helpers/seeded-random.js';
import { closeCodes, firstStatus, rawExchange, wsFrame } from '../helpers/wire.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** `outpost service run` in its own process, so that an uncaught exception shows as a dead process, as a user would see it. */
async function hostileTarget(t: TestContext) {
  const ui = await startSiteService(t, path.join(tempDir(t), 'data'));
  const token = new URL(ui.url).hash.slice('#token='.length);
  const own = `127.0.0.1:${ui.port}`;
  const upgradeHead = (target: string, extra: Record<string, string> = {}) =>
    `GET ${target} HTTP/1.1\r\n${Object.entries({ Host: own, Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Protocol': `outpost.events.v1, outpost.token.${token}`, ...extra })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')}\r\n`;
  return { ...ui, token, own, upgradeHead };
}

/** The process still runs, still answers a call with the token, and still opens the event stream. */
async function assertStillServing(target: { process: ChildProcess; port: number; token: string; upgradeHead: (path: string) => string }): Promise<void> {
  assert.equal(target.process.exitCode, null, 'outpost service run is still running');
  assert.equal(target.process.signalCode, null, 'outpost service run is still running');
  const status = await fetch(`http://127.0.0.1:${target.port}/rpc/system.status`, { method: 'POST', headers: { Authorization: `Bearer ${target.token}`, 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(status.status, 200);
  assert.equal(((await status.json()) as { ok: boolean }).ok, true);
  assert.equal(firstStatus(await rawExchange(target.port, target.upgradeHead('/events'))), 101);
}

test('named hostile inputs: each is refused with its status or close code, and the bridge keeps serving', async (t) => {
  const target = await hostileTarget(t);
  const { port, own, upgradeHead } = target;

  const unparsable = await rawExchange(port, upgradeHead('//['));
  assert.equal(firstStatus(unparsable), 404, 'an upgrade to `//[` is refused as a path without a WebSocket, not a crash');
  assert.match(unparsable.toString(), /"code":"NOT_FOUND","message":"no WebSocket at \/\/\["/);
  const page = firstStatus(await rawExchange(port, `GET //[ HTTP/1.1\r\nHost: ${own}\r\n\r\n`));
  assert.ok(page === 200 || page === 404, `the same path without an upgrade gets the app page (or 404 without a built renderer), got ${page}`);
  const notAPath = await rawExchange(port, upgradeHead('*'));
  assert.equal(firstStatus(notAPath), 400, 'a target that is not a path (asterisk form) is a bad request');
  assert.match(notAPath.toString(), /"code":"INVALID_INPUT".*not a path on this server/);
  assert.equal(firstStatus(await rawExchange(port, upgradeHead('http://evil.example/events'))), 400, 'so is an absolute URL');
  assert.equal(firstStatus(await rawExchange(port, upgradeHead('/events', { Origin: 'https://evil.example' }))), 403, 'a foreign Origin');
  assert.equal(firstStatus(await rawExchange(port, upgradeHead('/events', { 'Sec-WebSocket-Protocol': 'outpost.events.v1' }))), 401, 'no token');
  assert.equal(firstStatus(await rawExchange(port, upgradeHead('/events', { 'Sec-WebSocket-Protocol': 'outpost.events.v1, outpost.token.wrong' }))), 401, 'a wrong token');
  assert.equal(firstStatus(await rawExchange(port, upgradeHead('/elsewhere'))), 404, 'no WebSocket at another path');
  assert.equal(firstStatus(await rawExchange(port, `POST /rpc/%E0%A4%A HTTP/1.1\r\nHost: ${own}\r\nAuthorization: Bearer ${target.token}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`)), 404, 'a call name that is not percent-encoding');

  const cutShort = await rawExchange(port, `POST /rpc/system.status HTTP/1.1\r\nHost: ${own}\r\nAuthorization: Bearer ${target.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`, { patienceMs: 300 });
  assert.ok([400, null].includes(firstStatus(cutShort)), `a body cut short by the client is its own failure (400, or no answer to a client gone), never a 500: got ${firstStatus(cutShort)}`);

  const invalidUtf8 = await rawExchange(port, upgradeHead('/events'), { after: [wsFrame(0x1, Buffer.from([0x68, 0xff, 0xfe, 0xc3]))] });
  assert.equal(firstStatus(invalidUtf8), 101);
  assert.deepEqual(closeCodes(invalidUtf8), [1007], 'invalid UTF-8 in a text frame closes with 1007');
  const tooLarge = await rawExchange(port, upgradeHead('/events'), { after: [wsFrame(0x1, Buffer.alloc(64 * 1024 + 1, 0x61))] });
  assert.deepEqual(closeCodes(tooLarge), [1009], 'a message over 64 KiB closes with 1009');
  const fragmented = await rawExchange(port, upgradeHead('/events'), { after: [wsFrame(0x2, Buffer.alloc(40 * 1024), { fin: false }), wsFrame(0x0, Buffer.alloc(40 * 1024))] });
  assert.deepEqual(closeCodes(fragmented), [1009], 'fragments adding up to over 64 KiB close with 1009 too');
  const declaredHuge = await rawExchange(port, upgradeHead('/events'), { after: [wsFrame(0x2, Buffer.alloc(8), { declaredLength: 2 ** 40 })] });
  assert.deepEqual(closeCodes(declaredHuge), [1009], 'a frame declaring a terabyte is refused by its header');

  await assertStillServing(target);
});

/** One hostile HTTP request: a request line, headers and a body drawn from pieces a parser or router may choke on. */
function hostileRequest(random: SeededRandom, own: string, token: string): Buffer {
  const oddBytes = () => random.bytes(random.below(40));
  const paths = [
    '/',
    '//[',
    '//',
    '/rpc/',
    '/rpc/system.status',
    '/rpc/%',
    '/rpc/%ZZ',
    '/events',
    '/events?after=-1',
    '/%00',
    '/..%2f..%2fetc/passwd',
    '*',
    'http://evil.example/rpc/system.status',
    '//evil.example/events',
    '/[::1]',
    '/a?b=%',
    `/${'x'.repeat(9000)}`,
  ];
  const pathPart = random.chance(0.3) ? Buffer.concat([Buffer.from(random.pick(paths)), oddBytes()]) : Buffer.from(random.pick(paths));
  const method = random.pick(['GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'DELETE', 'CONNECT', 'PRI', 'G\u0000T', 'get']);
  const version = random.pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', '']);
  const headers: Array<[string, string | Buffer]> = [];
  const maybe = (p: number, name: string, values: Array<string | Buffer>) => random.chance(p) && headers.push([name, random.pick(values)]);
  maybe(0.85, 'Host', [own, own, `localhost:${own.split(':')[1]}`, 'evil.example', '', '[', Buffer.from([0xff, 0x00])]);
  maybe(0.5, 'Upgrade', ['websocket', 'WebSocket', 'h2c', '', 'websocket, tls/1.3']);
  maybe(0.5, 'Connection', ['Upgrade', 'keep-alive, Upgrade', 'close', 'upgrade\u0000']);
  maybe(0.5, 'Sec-WebSocket-Key', [KEY, '', 'short', 'x'.repeat(200)]);
  maybe(0.5, 'Sec-WebSocket-Version', ['13', '8', '', '-1', '99999999999999999999']);
  maybe(0.6, 'Sec-WebSocket-Protocol', [`outpost.events.v1, outpost.token.${token}`, 'outpost.events.v1', `outpost.token.${token}`, ',,,', 'a b', 'outpost.events.v1,outpost.events.v1', Buffer.from([0xc3, 0x28])]);
  maybe(0.3, 'Origin', [`http://${own}`, 'https://evil.example', 'null', '', Buffer.from([0xfe])]);
  maybe(0.4, 'Authorization', [`Bearer ${token}`, 'Bearer ', 'Basic eA==', `Bearer ${token}x`]);
  maybe(0.4, 'Content-Type', ['application/json', 'text/plain', '']);
  maybe(0.3, 'Content-Length', ['0', '2', '10', '-1', '1e3', '99999999999', '2, 3']);
  maybe(0.15, 'Transfer-Encoding', ['chunked', 'gzip', 'chunked, identity']);
  maybe(0.15, 'Sec-WebSocket-Extensions', ['permessage-deflate', 'permessage-deflate; client_max_window_bits=99', 'x; y=']);
  if (random.chance(0.2)) headers.push([random.bytes(1 + random.below(10)).toString('latin1'), oddBytes()]);
  const body = random.chance(0.4) ? (random.chance(0.5) ? Buffer.from('{"siteId":"x"}') : oddBytes()) : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(`${method} `), pathPart, Buffer.from(` ${version}\r\n`), ...headers.map(([name, value]) => Buffer.concat([Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n')])), Buffer.from('\r\n'), body]);
}

/** A few WebSocket frames of any shape: opcodes, reserved bits, masks and lengths that lie. */
function hostileFrames(random: SeededRandom): Buffer[] {
  return Array.from({ length: 1 + random.below(4) }, () => {
    if (random.chance(0.1)) return random.bytes(1 + random.below(30));
    const opcode = random.pick([0x0, 0x1, 0x1, 0x2, 0x8, 0x9, 0xa, 0x3, 0xb, 0xf]);
    const payload = random.chance(0.05) ? Buffer.alloc(60 * 1024 + random.below(10 * 1024), 0x61) : random.chance(0.5) ? Buffer.from(`{"ask":${random.below(1000)}}`) : random.bytes(random.below(200));
    return wsFrame(opcode, payload, {
      fin: !random.chance(0.2),
      masked: !random.chance(0.1),
      rsv: random.chance(0.1) ? 1 + random.below(7) : 0,
      declaredLength: random.chance(0.1) ? random.pick([0, 125, 126, 65_535, 65_536, 2 ** 32, 2 ** 53 - 1]) : undefined,
    });
  });
}

test('fuzz: 3,000 seeded hostile requests, upgrades and frames are each answered or refused, and the bridge keeps serving', async (t) => {
  const target = await hostileTarget(t);
  const random = seededRandom(0x0b7905);
  const statuses = new Map<number | null, number>();
  const closes = new Map<number, number>();
  const count = (map: Map<number | null, number>, key: number | null) => map.set(key, (map.get(key) ?? 0) + 1);
  const unanswered: string[] = [];
  const one = async () => {
    // Everything random is drawn before the first await, so the cases are the same whatever order the sockets finish in.
    const plain = random.chance(0.6);
    const tokenless = `outpost.events.v1${random.chance(0.5) ? '' : ', outpost.token.wrong'}`;
    const head = plain
      ? hostileRequest(random, target.own, target.token)
      : random.chance(0.15)
        ? hostileRequest(random, target.own, target.token)
        : target.upgradeHead(random.pick(['/events', '/events?after=3', '/events?after=%']), random.chance(0.2) ? { 'Sec-WebSocket-Protocol': tokenless } : {});
    const options = plain ? { patienceMs: 2_000, timeoutMs: 6_000 } : { after: hostileFrames(random), pipelined: random.chance(0.3), patienceMs: 2_000, timeoutMs: 6_000 };
    const bytes = await rawExchange(target.port, head, options);
    count(statuses, firstStatus(bytes));
    if (firstStatus(bytes) === null && !('pipelined' in options && options.pipelined)) unanswered.push(head.toString('latin1').split('\r\n')[0] ?? '');
    for (const code of closeCodes(bytes)) count(closes, code);
  };
  const total = 3_000;
  for (let done = 0; done < total; done += 20) await Promise.all(Array.from({ length: 20 }, one));

  assert.equal(target.process.exitCode, null, 'outpost service run survived the fuzzing');
  const serverErrors = [...statuses].filter(([status]) => status !== null && status >= 500);
  assert.deepEqual(serverErrors, [], `no hostile input makes the bridge fail inside: ${JSON.stringify([...statuses])}`);
  // An upgrade whose frames came with it and then a half-close may be dropped unanswered (ws sees a client already gone); all else gets a status.
  assert.deepEqual(unanswered, [], 'every request that waited for its answer got one');
  assert.ok((statuses.get(101) ?? 0) > 300, `many upgrades got through to the frame fuzzing (${JSON.stringify([...statuses])})`);
  assert.ok((statuses.get(400) ?? 0) > 100 && (statuses.get(401) ?? 0) > 10 && (statuses.get(403) ?? 0) > 10, JSON.stringify([...statuses]));
  assert.ok(
    [...closes.keys()].every((code) => [1000, 1002, 1003, 1005, 1007, 1009].includes(code)),
    `close codes: ${JSON.stringify([...closes])}`,
  );
  assert.ok(closes.has(1002) && closes.has(1009), `the frame fuzzing reached the protocol checks: ${JSON.stringify([...closes])}`);
  await assertStillServing(target);
  // No socket a hostile client left open holds the stop: Ctrl-C still ends the process promptly.
  const exited = new Promise<number | null>((resolve) => target.process.once('exit', (code) => resolve(code)));
  target.process.kill('SIGINT');
  const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000))]);
  assert.equal(code, 0);
});
