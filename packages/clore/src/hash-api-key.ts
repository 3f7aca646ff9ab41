import { createHash } from 'node:crypto';

/**
 * A stable, non-reversible name for an API key: the first 16 hex characters of its SHA-256.
 * Used wherever a key must be told apart (Redis keys, logs, the simulator's call log) without
 * being written down. The simulator uses the same function, so the two can be compared.
 */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex').slice(0, 16);
}
