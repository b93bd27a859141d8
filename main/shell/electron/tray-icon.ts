import zlib from 'node:zlib';
import type { HealthLevel } from '../../../shared/domain/telemetry.js';

/** The tray's state: the site's health, or `detached` while the window is not attached to the site service. */
export type TrayState = HealthLevel | 'detached';

const COLOURS: Record<TrayState, readonly [number, number, number]> = {
  ok: [0x2e, 0xa0, 0x43],
  warn: [0xd2, 0x99, 0x22],
  critical: [0xd1, 0x24, 0x2f],
  detached: [0x8c, 0x95, 0x9f],
};

const ICON_SIZE = 32;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG of 8-bit RGBA pixels, rows top to bottom: the few bytes a tray icon needs, so no image file ships. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter method, no interlace
  const rows = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y += 1) rows.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** A filled disc in the state's colour on a transparent square, edges softened by coverage. */
export function trayIconPng(state: TrayState, size = ICON_SIZE): Buffer {
  const [r, g, b] = COLOURS[state];
  const pixels = new Uint8Array(size * size * 4);
  const centre = size / 2;
  const radius = size / 2 - 1;
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const distance = Math.hypot(x + 0.5 - centre, y + 0.5 - centre);
      const coverage = Math.max(0, Math.min(1, radius - distance + 0.5));
      pixels.set([r, g, b, Math.round(coverage * 255)], (y * size + x) * 4);
    }
  }
  return encodePng(size, size, pixels);
}
