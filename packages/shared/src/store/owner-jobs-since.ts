import type { Redis } from 'ioredis';
import { storeKeys } from './keys';

/**
 * A read-only query over the owner index for the API's tenant limits (docs/decisions/0129): the ids
 * an owner created since a time with each job's record version, without reading the records. Ids are
 * `job_` + 10 Crockford base32 characters of milliseconds (job-id.ts), so a time is a lex bound.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The smallest id a job created at `ms` or later can have, as a lex bound (`[job_<time>`). */
export function jobIdFloor(ms: number): string {
  let rest = Math.max(0, Math.floor(ms));
  let time = '';
  for (let i = 0; i < 10; i += 1) {
    time = ALPHABET.charAt(rest % 32) + time;
    rest = Math.floor(rest / 32);
  }
  return `[job_${time}`;
}

/**
 * KEYS: 1 index:owner. ARGV: 1 lex floor (jobIdFloor), 2 the job hash key without its id.
 * Returns {id, version, id, version, ...} newest first; version '' when the record is gone. Reads
 * the job hashes it finds (not declared in KEYS: like the store's scripts, not Redis Cluster safe).
 */
const OWNER_VERSIONS = `
local ids = redis.call('ZREVRANGEBYLEX', KEYS[1], '+', ARGV[1])
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', ARGV[2] .. id, 'version') or ''
end
return out
`;

/**
 * `owner`'s jobs created at `sinceMs` or later (by the id's time), newest first, each with its
 * record version (undefined: the record is gone), in one round trip without reading the records.
 */
export async function ownerJobVersionsSince(
  redis: Redis,
  prefix: string,
  owner: string,
  sinceMs: number,
): Promise<Array<{ id: string; version: number | undefined }>> {
  const keys = storeKeys(prefix);
  const flat = (await redis.eval(
    OWNER_VERSIONS,
    1,
    keys.byOwner(owner),
    jobIdFloor(sinceMs),
    keys.job(''),
  )) as string[];
  const rows: Array<{ id: string; version: number | undefined }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const version = flat[i + 1];
    rows.push({
      id: flat[i] as string,
      version: version === '' || version === undefined ? undefined : Number(version),
    });
  }
  return rows;
}
