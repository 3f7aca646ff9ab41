import { isIP } from 'node:net';
import { z } from 'zod';

/** Named ranges proxy-addr (Fastify's `trustProxy`) understands. */
const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (NAMED.has(entry)) {
    return true;
  }
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) {
    return false;
  }
  if (bits === undefined) {
    return true;
  }
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

/**
 * `TRUST_PROXY`: which peers may set X-Forwarded-For/-Proto/-Host (Fastify's `trustProxy`).
 * `false` (default): none, the socket's address, scheme and Host are used. `true`: any peer (only
 * when nothing but the proxy can reach the API: a client could otherwise pick its own address).
 * Else comma-separated addresses, CIDR ranges or `loopback` / `linklocal` / `uniquelocal`: the
 * proxies' addresses. A hop count is not offered: Fastify 5 then trusts no forwarded scheme or host.
 */
export const TrustProxySchema = z.string().transform((raw, ctx): boolean | string[] => {
  const text = raw.trim().toLowerCase();
  if (['false', '0', 'no'].includes(text)) {
    return false;
  }
  if (['true', '1', 'yes'].includes(text)) {
    return true;
  }
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0 || !entries.every(isAddressOrRange)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be true, false, or proxy addresses / CIDR ranges / loopback, linklocal, uniquelocal, comma separated',
    });
  }
  return entries;
});
