import { OutpostError } from '../../../shared/errors.js';

/** One SSH endpoint to try. `explicit` ones were named by the user and are reported even when silent. */
export interface ScanTarget {
  address: string;
  port: number;
  explicit: boolean;
}

/** Larger ranges are refused: a /16 is already 65,534 addresses, and a wider sweep is not an inventory. */
export const WIDEST_PREFIX = 16;
const MAX_ADDRESSES = 2 ** (32 - WIDEST_PREFIX);
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$/;

function invalid(target: string, why: string, hint: string): OutpostError {
  return new OutpostError('INVALID_INPUT', `target "${target.slice(0, 80)}" ${why}`, hint);
}

function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

const formatIpv4 = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

function parsePort(target: string, text: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65535) {
    throw invalid(target, `has port ${text.slice(0, 12)}, outside 1–65535`, 'write host:port with a port from 1 to 65535, e.g. 10.0.0.5:2222');
  }
  return port;
}

function expandCidr(target: string, base: string, prefixText: string): string[] {
  const start = parseIpv4(base);
  if (start === null) throw invalid(target, 'is not an IPv4 range', 'write a range as a.b.c.d/n, e.g. 10.0.0.0/24');
  const prefix = Number(prefixText);
  if (!/^\d{1,2}$/.test(prefixText) || prefix > 32) {
    throw invalid(target, `has prefix /${prefixText.slice(0, 8)}, but an IPv4 prefix is /0 to /32`, 'e.g. 10.0.0.0/24 for 254 addresses');
  }
  if (prefix < WIDEST_PREFIX) {
    throw invalid(target, `is a /${prefix} (${(2 ** (32 - prefix)).toLocaleString('en-US')} addresses), wider than a /${WIDEST_PREFIX}`, `split it into /${WIDEST_PREFIX} ranges or narrower, e.g. the subnets the servers are really on`);
  }
  const size = 2 ** (32 - prefix);
  const network = Math.floor(start / size) * size;
  // The network and broadcast addresses of a subnet are not hosts (except in /31 and /32).
  const [first, last] = prefix <= 30 ? [network + 1, network + size - 2] : [network, network + size - 1];
  const out: string[] = [];
  for (let n = first; n <= last; n++) out.push(formatIpv4(n));
  return out;
}

/**
 * Parses `cidr|host|host:port[,...]` into endpoints, in order, without duplicates.
 * Everything is checked before anything is tried, so one bad target refuses the whole scan.
 */
export function parseTargets(text: string, defaultPort: number): ScanTarget[] {
  const items = text.split(/[,\s]+/).filter((s) => s.length > 0);
  if (items.length === 0) throw new OutpostError('INVALID_INPUT', 'no targets given', 'name hosts or ranges, e.g. 10.0.0.0/24,gpu-7,10.0.1.9:2222');
  const seen = new Set<string>();
  const out: ScanTarget[] = [];
  const add = (address: string, port: number, explicit: boolean): void => {
    const key = `${address}:${port}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ address, port, explicit });
    if (out.length > MAX_ADDRESSES) {
      throw new OutpostError('INVALID_INPUT', `the targets add up to more than ${MAX_ADDRESSES.toLocaleString('en-US')} addresses`, `scan at most one /${WIDEST_PREFIX} worth of addresses at a time`);
    }
  };
  for (const item of items) {
    if (item.includes('[') || item.split(':').length > 2) {
      throw invalid(item, 'looks like an IPv6 address, which discovery does not scan yet', 'use the IPv4 address or the host name');
    }
    const [hostPart = '', portPart] = item.split(':');
    const port = portPart === undefined ? defaultPort : parsePort(item, portPart);
    if (hostPart.includes('/')) {
      const [base = '', prefix = ''] = hostPart.split('/');
      for (const address of expandCidr(item, base, prefix)) add(address, port, false);
    } else if (parseIpv4(hostPart) !== null) {
      add(hostPart, port, true);
    } else if (/^[\d.]+$/.test(hostPart)) {
      throw invalid(item, 'is not a valid IPv4 address', 'each part of an address is 0–255, e.g. 192.168.1.20');
    } else if (HOSTNAME.test(hostPart)) {
      add(hostPart.toLowerCase(), port, true);
    } else {
      throw invalid(item, 'is neither an address, a range nor a host name', 'use e.g. 10.0.0.5, 10.0.0.0/24, gpu-7.lab or gpu-7:2222');
    }
  }
  return out;
}
