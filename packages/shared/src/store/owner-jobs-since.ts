import type { Redis } from 'ioredis';
import type { JobState } from '../state/job-state';
import { storeKeys } from './keys';

/**
 * A read-only query over the owner indexes for the API's tenant limits (docs/decisions/0129): the ids
 * an owner created since a time and those in given states, each with its record version, without
 * reading the records. Ids are
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
 * KEYS: 1 index:owner, 2.. index:owner:state of each state asked for.
 * ARGV: 1 lex floor (jobIdFloor), 2 the job hash key without its id.
 * Returns {id, version, id, version, ...}: the owner's ids from the floor up (newest first), then
 * every id in the state indexes (an id may come twice); version '' when the record is gone. Reads
 * the job hashes it finds (not declared in KEYS: like the store's scripts, not Redis Cluster safe).
 */
const OWNER_VERSIONS = `
local out = {}
local function add(ids)
  for _, id in ipairs(ids) do
    out[#out + 1] = id
    out[#out + 1] = redis.call('HGET', ARGV[2] .. id, 'version') or ''
  end
end
add(redis.call('ZREVRANGEBYLEX', KEYS[1], '+', ARGV[1]))
for i = 2, #KEYS do
  add(redis.call('ZRANGE', KEYS[i], 0, -1))
end
return out
`;

export interface OwnerJobVersion {
  id: string;
  /** The record's version; undefined when the record is gone. */
  version: number | undefined;
}

/**
 * `owner`'s jobs created at `sinceMs` or later (by the id's time), plus all of its jobs in `states`
 * whenever created, each with its record version, in one round trip without reading the records.
 * An id can be listed twice (created since, and in one of the states).
 */
export async function ownerJobVersions(
  redis: Redis,
  prefix: string,
  owner: string,
  query: { sinceMs: number; states: readonly JobState[] },
): Promise<OwnerJobVersion[]> {
  const keys = storeKeys(prefix);
  const indexes = [keys.byOwner(owner), ...query.states.map((state) => keys.byOwnerState(owner, state))];
  const flat = (await redis.eval(
    OWNER_VERSIONS,
    indexes.length,
    ...indexes,
    jobIdFloor(query.sinceMs),
    keys.job(''),
  )) as string[];
  const rows: OwnerJobVersion[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const version = flat[i + 1];
    rows.push({
      id: flat[i] as string,
      version: version === '' || version === undefined ? undefined : Number(version),
    });
  }
  return rows;
}
