import assert from 'node:assert/strict';
import test from 'node:test';
import zlib from 'node:zlib';
import { encodePng, trayIconPng } from './tray-icon.js';

function chunks(png: Buffer): Array<{ type: string; data: Buffer; crcOk: boolean }> {
  const found = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    const typeAndData = png.subarray(offset + 4, offset + 8 + length);
    found.push({ type: typeAndData.toString('ascii', 0, 4), data: typeAndData.subarray(4), crcOk: zlib.crc32(typeAndData) === png.readUInt32BE(offset + 8 + length) });
    offset += length + 12;
  }
  return found;
}

test('a PNG any decoder accepts: signature, IHDR, IDAT with one filter byte per row, IEND, every CRC right', () => {
  const png = encodePng(2, 1, new Uint8Array([255, 0, 0, 255, 0, 0, 255, 128]));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const found = chunks(png);
  assert.deepEqual(
    found.map((c) => c.type),
    ['IHDR', 'IDAT', 'IEND'],
  );
  assert.ok(found.every((c) => c.crcOk));
  assert.deepEqual([...(found[0]?.data ?? [])], [0, 0, 0, 2, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
  assert.deepEqual([...zlib.inflateSync(found[1]?.data ?? Buffer.alloc(0))], [0, 255, 0, 0, 255, 0, 0, 255, 128]);
});

test('each state has its own icon: transparent corners, an opaque disc in its colour', () => {
  const centre = (png: Buffer) => {
    const rows = zlib.inflateSync(chunks(png)[1]?.data ?? Buffer.alloc(0));
    const row = 32 * 4 + 1;
    return { corner: rows[1 + 3], middle: [...rows.subarray(16 * row + 1 + 16 * 4, 16 * row + 1 + 16 * 4 + 4)] };
  };
  assert.deepEqual(centre(trayIconPng('critical')), { corner: 0, middle: [0xd1, 0x24, 0x2f, 255] });
  assert.deepEqual(centre(trayIconPng('ok')).middle, [0x2e, 0xa0, 0x43, 255]);
  assert.notDeepEqual(trayIconPng('warn'), trayIconPng('detached'));
});
