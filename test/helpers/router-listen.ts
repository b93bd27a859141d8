import net from 'node:net';

/** The service's router follows the stored setting: run-tests.mjs pins OUTPOST_ROUTER_PORT=0, which would override it. */
export const SETTING_ENV = { OUTPOST_ROUTER_PORT: '', OUTPOST_ROUTER_HOST: '', OUTPOST_ROUTER_SUPERVISE_INTERVAL_MS: '100' };

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
