/**
 * One line of the Redis key registry: a key (or pub/sub channel) the deployment writes, below its
 * REDIS_PREFIX, with its Redis type and what it holds. The builders (storeKeys, fleetKeys, ...) make
 * the keys; these entries let a reader (or a test that SCANs a deployment) tell what any key is.
 */
export type RedisKeyType = 'string' | 'hash' | 'zset' | 'list' | 'set' | 'stream' | 'channel' | 'bullmq';

export interface KeyEntry {
  /**
   * The key after `<prefix>:`. Placeholders: `<id>` one segment without `:`, `<hex>` lower-case hex,
   * `<int>` digits, `<state>` a job state, `<rest>` anything (several segments). Anything else is
   * literal (the limiter's `{` `}` are a Redis cluster hash tag).
   */
  pattern: string;
  /** `bullmq`: BullMQ's own keys (its types vary by key); `channel`: pub/sub, never stored. */
  type: RedisKeyType;
  /** What it holds and who writes it. */
  content: string;
}

const PLACEHOLDERS: Record<string, string> = {
  '<id>': '[^:]+',
  '<hex>': '[0-9a-f]+',
  '<int>': '[0-9]+',
  '<state>': '[a-z_]+',
  '<rest>': '.+',
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The anchored expression of an entry's pattern under `prefix`. */
export function patternRegExp(prefix: string, pattern: string): RegExp {
  const body = pattern
    .split(/(<[a-z]+>)/)
    .map((part) => {
      if (part.startsWith('<')) {
        const expression = PLACEHOLDERS[part];
        if (expression === undefined) {
          throw new Error(`unknown key placeholder ${part} in ${pattern}`);
        }
        return expression;
      }
      return escapeRegExp(part);
    })
    .join('');
  return new RegExp(`^${escapeRegExp(prefix)}:${body}$`);
}

/** The entry that describes `key` under `prefix` (the first that matches), or undefined. */
export function describeKey(prefix: string, entries: readonly KeyEntry[], key: string): KeyEntry | undefined {
  return entries.find((entry) => patternRegExp(prefix, entry.pattern).test(key));
}

const KEY_TYPES: readonly RedisKeyType[] = [
  'string',
  'hash',
  'zset',
  'list',
  'set',
  'stream',
  'channel',
  'bullmq',
];

/**
 * Registry lines written as a table, one key a row: `pattern | type | content`. Read once at load; a
 * malformed row throws at start-up, so a typo cannot leave a key undescribed.
 */
export function keyTable(text: string): KeyEntry[] {
  return text
    .trim()
    .split('\n')
    .map((row) => {
      const [pattern = '', type = '', ...content] = row.split('|').map((cell) => cell.trim());
      if (!pattern || !KEY_TYPES.includes(type as RedisKeyType) || content.join('|') === '') {
        throw new Error(`malformed key registry row: ${row}`);
      }
      return { pattern, type: type as RedisKeyType, content: content.join(' | ') };
    });
}
