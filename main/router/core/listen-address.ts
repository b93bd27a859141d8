/**
 * Where the router listens: the rules for the stored setting (`router.listen.set`), which environment variables
 * override it, and the base URLs applications use. Pure: the workstation's addresses and the environment are
 * passed in by the caller.
 */
export interface ListenAddress {
  host: string;
  port: number;
}

/** One address of one of the workstation's network interfaces (as os.networkInterfaces lists them). */
export interface WorkstationAddress {
  address: string;
  family: 'IPv4' | 'IPv6';
  internal: boolean;
}

export const DEFAULT_LISTEN: ListenAddress = { host: '127.0.0.1', port: 8080 };
export const ALL_ADDRESSES = '0.0.0.0';
/** Ports below 1024 need root on Linux; the router runs as the data dir's owner. */
export const LISTEN_PORT_RANGE = { min: 1024, max: 65_535 } as const;
export const HOST_ENV = 'OUTPOST_ROUTER_HOST';
export const PORT_ENV = 'OUTPOST_ROUTER_PORT';

export type ListenField = 'host' | 'port';
export type ListenProblems = Partial<Record<ListenField, string>>;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isLoopback(host: string): boolean {
  return host === '::1' || (IPV4.test(host) && host.startsWith('127.'));
}

/** The IPv6 address as the URL parser writes it, or null when `host` is not one. */
function canonicalIpv6(host: string): string | null {
  if (!host.includes(':')) return null;
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

/**
 * What is wrong with a listen address, by field; empty when it may be stored. The host must be an address the
 * router can bind: 0.0.0.0 (every IPv4 interface), a loopback address, or an address one of the workstation's
 * interfaces has. A name is refused: it may resolve to something else tomorrow.
 */
export function listenProblems(wanted: ListenAddress, workstation: readonly WorkstationAddress[]): ListenProblems {
  const problems: ListenProblems = {};
  const host = wanted.host.trim();
  const ipv6 = canonicalIpv6(host);
  const own = workstation.some((a) => a.address === host || (ipv6 !== null && canonicalIpv6(a.address) === ipv6));
  if (host === '::') {
    problems.host = `listen on ${ALL_ADDRESSES} for every address of this workstation (IPv4), or on one of its addresses`;
  } else if (!IPV4.test(host) && ipv6 === null) {
    problems.host = `"${host.slice(0, 60)}" is not an IP address: give ${ALL_ADDRESSES} (every address), 127.0.0.1 (this workstation only) or one of its addresses (${siteAddresses(workstation).join(', ') || 'none found'})`;
  } else if (host !== ALL_ADDRESSES && !isLoopback(host) && !own) {
    problems.host = `this workstation has no address ${host}: give ${ALL_ADDRESSES}, 127.0.0.1 or one of ${siteAddresses(workstation).join(', ') || '(no site network address found)'}`;
  }
  if (!Number.isInteger(wanted.port) || wanted.port < LISTEN_PORT_RANGE.min || wanted.port > LISTEN_PORT_RANGE.max) {
    problems.port = `the port must be a whole number from ${LISTEN_PORT_RANGE.min} to ${LISTEN_PORT_RANGE.max} (${String(wanted.port)} is not): lower ports need root`;
  }
  return problems;
}

/** The workstation's addresses on the site network (not loopback, not link-local), IPv4 first. */
export function siteAddresses(workstation: readonly WorkstationAddress[]): string[] {
  const usable = workstation.filter((a) => !a.internal && !isLoopback(a.address) && !a.address.toLowerCase().startsWith('fe80:') && !a.address.startsWith('169.254.'));
  return [...usable.filter((a) => a.family === 'IPv4'), ...usable.filter((a) => a.family === 'IPv6')].map((a) => a.address);
}

/**
 * The address the supervised router listens on: the stored setting, except where the site service's environment
 * sets OUTPOST_ROUTER_HOST or OUTPOST_ROUTER_PORT (a systemd unit or a test harness pins them); `overridden`
 * names those variables. Malformed variables are refused where the environment is read (envInteger).
 */
export function effectiveListen(stored: ListenAddress, env: { host: string | undefined; port: number | undefined }): { address: ListenAddress; overridden: string[] } {
  const overridden = [...(env.host !== undefined ? [HOST_ENV] : []), ...(env.port !== undefined ? [PORT_ENV] : [])];
  return { address: { host: env.host ?? stored.host, port: env.port ?? stored.port }, overridden };
}

/** Applications on the site network reach a router that is not on loopback: every request then needs an API key. */
export function exposureWarning(host: string): string | null {
  if (isLoopback(host)) return null;
  const reach = host === ALL_ADDRESSES ? 'every address of this workstation' : host;
  return `the router is reachable from the site network on ${reach}: every request to /v1 needs an API key, but /healthz and /metrics (model and endpoint names, request counts) answer anyone who can reach it`;
}

/** `http://<address>:<port>/v1` for each address an application may use; for 0.0.0.0, the site addresses then loopback. */
export function baseUrls(listen: ListenAddress, workstation: readonly WorkstationAddress[]): string[] {
  const hosts = listen.host === ALL_ADDRESSES ? [...siteAddresses(workstation).filter((a) => IPV4.test(a)), '127.0.0.1'] : [listen.host];
  return hosts.map((host) => `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}/v1`);
}

/** The host and port of a router URL as the router reports it (`http://127.0.0.1:8080`, `http://[::1]:8080`). */
export function parseListenUrl(url: string): ListenAddress | null {
  try {
    const parsed = new URL(url);
    const port = Number(parsed.port);
    if (!Number.isInteger(port) || port <= 0) return null;
    return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return null;
  }
}

export function sameListen(a: ListenAddress, b: ListenAddress): boolean {
  return a.host === b.host && a.port === b.port;
}

/** Two addresses on the same port collide when either is the wildcard or they are the same address. */
export function overlaps(a: ListenAddress, b: ListenAddress): boolean {
  return a.port === b.port && (a.host === b.host || a.host === ALL_ADDRESSES || b.host === ALL_ADDRESSES);
}
