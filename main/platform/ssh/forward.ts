import net from 'node:net';
import type { Client } from 'ssh2';

export interface PortForward {
  /** The 127.0.0.1 port that forwards. */
  readonly localPort: number;
  /** Stops listening and cuts the connections it carries. */
  close(): Promise<void>;
}

/**
 * `ssh -L 127.0.0.1:<local>:host:port` over an existing session: each local
 * connection becomes one direct-tcpip channel. A channel the host refuses ends
 * its local connection, never the listener.
 */
export function forwardLocalPort(client: Client, host: string, port: number, localPort: number): Promise<PortForward> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.pause();
    client.forwardOut(socket.remoteAddress ?? '127.0.0.1', socket.remotePort ?? 0, host, port, (error, channel) => {
      if (error) return void socket.destroy();
      socket.on('error', () => channel.destroy());
      channel.on('error', () => socket.destroy());
      socket.pipe(channel).pipe(socket);
      socket.resume();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: localPort }, () => {
      server.off('error', reject);
      const address = server.address() as net.AddressInfo;
      resolve({
        localPort: address.port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
