import type { Redis } from 'ioredis';

/**
 * The keys among `keys` whose name, value, hash fields and values, or set, sorted-set or list
 * members contain `needle` (streams and other types: by name only). For checks that nothing of a
 * job is left in Redis.
 */
export async function keysMentioning(
  client: Redis,
  keys: Iterable<string>,
  needle: string,
): Promise<string[]> {
  const found: string[] = [];
  for (const key of keys) {
    const type = await client.type(key);
    let text = key;
    if (type === 'string') {
      text += (await client.get(key)) ?? '';
    } else if (type === 'hash') {
      text += JSON.stringify(await client.hgetall(key));
    } else if (type === 'zset') {
      text += (await client.zrange(key, '0', '-1')).join(' ');
    } else if (type === 'set') {
      text += (await client.smembers(key)).join(' ');
    } else if (type === 'list') {
      text += (await client.lrange(key, 0, -1)).join(' ');
    }
    if (text.includes(needle)) {
      found.push(key);
    }
  }
  return found.sort();
}
