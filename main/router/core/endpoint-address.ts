/**
 * Where an endpoint URL points, as the router would connect to it. The host is read the way the
 * router's HTTP client reads it: WHATWG URL parsing turns `0xA9FEA9FE`, `2852039166`, `0251.0376.0251.0376`
 * and `[::ffff:a9fe:a9fe]` alike into the address they mean, so a spelling cannot hide one.
 */
export type AddressKind =
  // Expected on a site: no confirmation needed.
  | 'loopback'
  | 'private'
  | 'public'
  | 'name'
  // Unexpected: the operator confirms with --allow-address.
  | 'link-local'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'reserved'
  | 'cloud-metadata';

export interface EndpointAddress {
  /** The host as the router would connect to it (IPv6 without brackets). */
  host: string;
  kind: AddressKind;
  /** Why the address needs confirming, or null when a site expects it. */
  unexpected: string | null;
}

const UNEXPECTED: Partial<Record<AddressKind, string>> = {
  'link-local': 'a link-local address (169.254.0.0/16, fe80::/10): it is not routed, and cloud and container hosts answer configuration there',
  multicast: 'a multicast address: no single server answers it',
  unspecified: 'the unspecified address (0.0.0.0, ::): it names no server',
  broadcast: 'the broadcast address: no single server answers it',
  reserved: 'a reserved address range (240.0.0.0/4, fec0::/10) that no site uses',
  'cloud-metadata': "a cloud instance-metadata service: it hands out the machine's credentials, never completions",
};

/** Instance-metadata services of the major clouds, by address and by the names their DNS gives them. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']);
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'instance-data', 'instance-data.ec2.internal']);

/** Classifies the host of an endpoint URL (already checked to be an http(s) URL). */
export function classifyEndpointAddress(url: string): EndpointAddress {
  const hostname = new URL(url).hostname.toLowerCase();
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname.replace(/\.$/, '');
  const kind = METADATA_ADDRESSES.has(host) || METADATA_NAMES.has(host) ? 'cloud-metadata' : hostname.startsWith('[') ? ipv6Kind(host) : ipv4Kind(host);
  return { host, kind, unexpected: UNEXPECTED[kind] ?? null };
}

/** WHATWG URL leaves an IPv4 host as four decimal octets; anything else is a name. */
function ipv4Kind(host: string): AddressKind {
  const octets = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host)?.slice(1).map(Number);
  if (!octets) return host === 'localhost' || host.endsWith('.localhost') ? 'loopback' : 'name';
  const [a = 0, b = 0] = octets;
  const ip = octets.join('.');
  if (METADATA_ADDRESSES.has(ip)) return 'cloud-metadata';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  if (a >= 224 && a <= 239) return 'multicast';
  if (ip === '255.255.255.255') return 'broadcast';
  if (a >= 240) return 'reserved';
  return 'public';
}

/** Eight 16-bit groups of a serialised IPv6 address (WHATWG URL writes hex groups only, `::` for the longest run of zeros). */
function ipv6Groups(host: string): number[] {
  const [head = '', tail] = host.split('::');
  const part = (text: string): number[] => (text === '' ? [] : text.split(':').map((g) => parseInt(g, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function ipv6Kind(host: string): AddressKind {
  const g = ipv6Groups(host);
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embeddedIpv4 = (): string => [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff].join('.');
  const zeroUpTo5 = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroUpTo5 && g5 === 0 && g6 === 0) return g7 === 0 ? 'unspecified' : g7 === 1 ? 'loopback' : ipv4Kind(embeddedIpv4());
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 address inside.
  if (zeroUpTo5 && (g5 === 0xffff || g5 === 0)) return ipv4Kind(embeddedIpv4());
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return ipv4Kind(embeddedIpv4());
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'reserved';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  return 'public';
}
