import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a webhook may not reach: loopback, private, link-local, CGNAT, unspecified,
 * multicast, reserved and documentation ranges, in IPv4 and IPv6. IPv4-mapped (`::ffff:a.b.c.d`),
 * NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`) addresses are judged by the IPv4 address they carry.
 */
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

function expandIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const parts = v4[1].split('.').map(Number);
    const [a = 0, b = 0, c = 0, d = 0] = parts;
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? h.length !== 8 : missing < 0) {
    return undefined;
  }
  return [...h, ...Array(Math.max(0, missing)).fill('0'), ...t].map((g) => Number.parseInt(g, 16));
}

/** The IPv4 address carried by a mapped, NAT64 or 6to4 IPv6 address, if any. */
function embeddedIpv4(groups: number[]): string | undefined {
  const g = (i: number) => groups[i] ?? 0;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g(5) === 0xffff) {
    return v4(g(6), g(7)); // ::ffff:a.b.c.d
  }
  if (g(0) === 0x64 && g(1) === 0xff9b && zeros(2, 6)) {
    return v4(g(6), g(7)); // 64:ff9b::a.b.c.d
  }
  if (g(0) === 0x2002) {
    return v4(g(1), g(2)); // 2002:aabb:ccdd::
  }
  if (zeros(0, 6) && !(g(6) === 0 && g(7) <= 1)) {
    return v4(g(6), g(7)); // deprecated IPv4-compatible ::a.b.c.d
  }
  return undefined;
}

/** True when a webhook must not be sent to this IP address literal (or it is not an address). */
export function isRefusedAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) {
    return blocked.check(bare, 'ipv4');
  }
  if (family !== 6) {
    return true;
  }
  const groups = expandIpv6(bare);
  if (!groups) {
    return true;
  }
  const v4 = embeddedIpv4(groups);
  if (v4 !== undefined && blocked.check(v4, 'ipv4')) {
    return true;
  }
  return blocked.check(bare, 'ipv6');
}

export type Resolver = (host: string) => Promise<string[]>;

const LOOKUP_TIMEOUT_MS = 5_000;

/** The system resolver (getaddrinfo), given up after 5 s (the caller then treats the name as unresolvable). */
export const systemResolver: Resolver = async (host) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lookup of ${host} timed out`)), LOOKUP_TIMEOUT_MS);
  });
  try {
    const entries = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
    return entries.map((entry) => entry.address);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Why `url` may not receive webhooks, or undefined. A literal IP is judged directly; a name is
 * resolved and every address it resolves to must be allowed (one private answer refuses it).
 */
export async function webhookTargetProblem(
  url: string,
  resolve: Resolver = systemResolver,
): Promise<string | undefined> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return 'is not a valid URL';
  }
  if (isIP(host) !== 0) {
    return isRefusedAddress(host)
      ? `points at a loopback, private or link-local address (${host})`
      : undefined;
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return `host ${host} does not resolve`;
  }
  if (addresses.length === 0) {
    return `host ${host} does not resolve`;
  }
  const refused = addresses.find(isRefusedAddress);
  return refused === undefined
    ? undefined
    : `host ${host} resolves to a loopback, private or link-local address (${refused})`;
}
