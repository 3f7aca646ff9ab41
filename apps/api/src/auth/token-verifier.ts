import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiToken } from '@clore-batch/shared';
import type { Principal } from './principal';

interface Entry {
  digest: Buffer;
  principal: Principal;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Finds the principal for a presented bearer token. Compares SHA-256 digests (equal length) with
 * `timingSafeEqual`, against every configured token without stopping early, so the time taken does
 * not tell how much of a token matched or which entry did.
 */
export function createTokenVerifier(
  tokens: ReadonlyArray<Readonly<ApiToken>>,
): (presented: string) => Principal | undefined {
  const entries: Entry[] = tokens.map((t) => ({
    digest: sha256(t.token),
    principal: Object.freeze({ name: t.name, role: t.role }),
  }));
  return (presented) => {
    const digest = sha256(presented);
    let found: Principal | undefined;
    for (const entry of entries) {
      if (timingSafeEqual(digest, entry.digest) && found === undefined) {
        found = entry.principal;
      }
    }
    return found;
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}
