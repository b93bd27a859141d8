import net from 'node:net';

/**
 * Writes `head` on a raw connection, then (once the server has answered its head, or at once when `pipelined`)
 * `after`, half-closes, and returns every byte that came back until the server closed or `timeoutMs` passed.
 * Without an answer the half-close comes after `patienceMs`: Node drops a response still being made for a
 * client that has half-closed, yet a request still missing body bytes is only answered once the client has.
 */
export function rawExchange(port: number, head: Buffer | string, options: { after?: Buffer[]; pipelined?: boolean; patienceMs?: number; timeoutMs?: number } = {}): Promise<Buffer> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    const after = options.after ?? [];
    let sentAfter = false;
    const sendRest = () => {
      if (sentAfter || socket.destroyed) return;
      sentAfter = true;
      for (const part of after) socket.write(part);
      socket.end();
    };
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 3_000);
    const patience = setTimeout(sendRest, options.patienceMs ?? 1_000);
    socket.on('connect', () => {
      socket.write(head);
      if (options.pipelined) sendRest();
    });
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (Buffer.concat(received).includes('\r\n\r\n')) sendRest();
    });
    // A reset is one of the answers a refused client may get; what matters is what came back before it.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      clearTimeout(patience);
      resolve(Buffer.concat(received));
    });
  });
}

/** The status of the first HTTP answer in `bytes`, or null when none came. */
export function firstStatus(bytes: Buffer): number | null {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(bytes.subarray(0, 20).toString('latin1'));
  return match ? Number(match[1]) : null;
}

/** A client WebSocket frame (RFC 6455 §5.2); `declaredLength` may differ from the payload to lie about it. */
export function wsFrame(opcode: number, payload: Buffer, options: { fin?: boolean; masked?: boolean; rsv?: number; declaredLength?: number } = {}): Buffer {
  const length = options.declaredLength ?? payload.length;
  const maskBit = (options.masked ?? true) ? 0x80 : 0;
  const head = [((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | (opcode & 0x0f)];
  if (length < 126) head.push(maskBit | length);
  else if (length < 0x1_0000) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    const wide = Buffer.alloc(8);
    wide.writeBigUInt64BE(BigInt(length));
    head.push(maskBit | 127, ...wide);
  }
  if (!maskBit) return Buffer.concat([Buffer.from(head), payload]);
  const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  return Buffer.concat([Buffer.from(head), key, Buffer.from(payload.map((b, i) => b ^ (key[i % 4] as number)))]);
}

/** The close codes of the close frames the server sent after its 101 answer. */
export function closeCodes(bytes: Buffer): number[] {
  const start = bytes.indexOf('\r\n\r\n');
  if (start < 0 || firstStatus(bytes) !== 101) return [];
  const codes: number[] = [];
  let at = start + 4;
  while (at + 2 <= bytes.length) {
    const opcode = (bytes[at] as number) & 0x0f;
    let length = (bytes[at + 1] as number) & 0x7f;
    at += 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at));
      at += 8;
    }
    if (opcode === 8 && length >= 2 && at + 2 <= bytes.length) codes.push(bytes.readUInt16BE(at));
    at += length;
  }
  return codes;
}
