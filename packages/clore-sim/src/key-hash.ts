import { createHash } from 'node:crypto';

/** How the simulator names an API key in its logs and control routes: sha256 hex, first 16 chars. */
export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}
