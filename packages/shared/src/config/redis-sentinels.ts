import { z } from 'zod';

export interface SentinelAddress {
  host: string;
  port: number;
}

/**
 * `REDIS_SENTINELS`: the Sentinel group, comma-separated `host:port` entries (an IPv6 address in
 * brackets: `[::1]:26379`). Each entry is checked on its own; the message names the bad one.
 */
export const RedisSentinelsSchema = z.string().transform((raw, ctx): SentinelAddress[] => {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const out: SentinelAddress[] = [];
  for (const [i, entry] of entries.entries()) {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (match === null || match[1] === undefined || port < 1 || port > 65_535) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${i + 1} ("${entry}") must be host:port (e.g. 10.0.0.5:26379)`,
      });
      continue;
    }
    out.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  if (entries.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one host:port' });
  }
  return out;
});
