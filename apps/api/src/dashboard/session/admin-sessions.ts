import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ApiToken, redisKeys } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** The cookie that carries the admin session id (httpOnly, SameSite=Strict, Path=/admin). */
export const SESSION_COOKIE = 'cb_admin';
export const DEFAULT_SESSION_TTL_SECONDS = 8 * 3_600;

/** Who a session belongs to, as the dashboard needs it. */
export interface AdminSession {
  /** The admin token's name (shown on the page, written in logs). */
  name: string;
  /** Bound to this session: the page sends it back in `X-CSRF-Token` on every state change. */
  csrfToken: string;
  createdAt: string;
}

/** The value of `redisKeys(prefix).adminSession(sha256(id))`. */
const StoredSessionSchema = z.object({
  name: z.string(),
  /** HMAC of the token that logged in: a session outlives neither its token's removal nor rotation. */
  tokenMac: z.string(),
  createdAt: z.string(),
});

type StoredSession = z.infer<typeof StoredSessionSchema>;

/** A stored session, or undefined when it is not one (an unreadable value opens nothing). */
function parseStored(raw: string): StoredSession | undefined {
  try {
    return StoredSessionSchema.parse(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

export interface AdminSessions {
  /** Check a presented token: the admin it belongs to, `submit` for a valid non-admin token, or undefined. */
  verify(token: string): { name: string; role: ApiToken['role'] } | undefined;
  /** A new session for an admin token (already verified); returns the cookie value. */
  create(token: string): Promise<{ sessionId: string; session: AdminSession }>;
  /** The live session of a cookie value, or undefined (unknown, expired, or its token is gone). */
  get(sessionId: string): Promise<AdminSession | undefined>;
  delete(sessionId: string): Promise<void>;
  /** The CSRF token bound to a session id. */
  csrfTokenOf(sessionId: string): string;
  /** Constant-time comparison of a presented CSRF token with the session's. */
  csrfMatches(sessionId: string, presented: string | undefined): boolean;
}

export interface AdminSessionsOptions {
  redis: Redis;
  /** REDIS_PREFIX: sessions live under `<prefix>:admin:session:<sha256(id)>`. */
  prefix: string;
  tokens: ReadonlyArray<Readonly<ApiToken>>;
  /** A server-side secret (derived from SECRETS_KEY) keying the token MACs and the CSRF tokens. */
  key: Buffer;
  ttlSeconds?: number;
  now?: () => Date;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Admin sessions in Redis. The cookie holds 32 random bytes; Redis holds only their SHA-256 (a
 * leaked Redis dump opens no session) with the admin's name and an HMAC of the token used, under a
 * TTL. The CSRF token is an HMAC of the session id: bound to the session, nothing more to store.
 */
export function createAdminSessions(options: AdminSessionsOptions): AdminSessions {
  const ttl = options.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  const now = options.now ?? (() => new Date());
  const mac = (label: string, value: string) =>
    createHmac('sha256', options.key).update(`${label}\0${value}`).digest('base64url');
  const sha256 = (value: string) => createHash('sha256').update(value).digest();
  const entries = options.tokens.map((t) => ({ digest: sha256(t.token), name: t.name, role: t.role }));
  const adminMacs = new Map(
    options.tokens.filter((t) => t.role === 'admin').map((t) => [mac('token', t.token), t.name] as const),
  );
  const keys = redisKeys(options.prefix);
  const keyOf = (sessionId: string) =>
    keys.adminSession(createHash('sha256').update(sessionId).digest('hex'));

  const csrfTokenOf = (sessionId: string) => mac('csrf', sessionId);

  return {
    verify(token) {
      const digest = sha256(token);
      let found: { name: string; role: ApiToken['role'] } | undefined;
      // Every entry is compared (no early exit), like the API's bearer verifier.
      for (const entry of entries) {
        if (timingSafeEqual(digest, entry.digest) && found === undefined) {
          found = { name: entry.name, role: entry.role };
        }
      }
      return found;
    },
    async create(token) {
      const sessionId = randomBytes(32).toString('base64url');
      const tokenMac = mac('token', token);
      const name = adminMacs.get(tokenMac);
      if (name === undefined) {
        throw new Error('createAdminSessions.create: not an admin token (verify it first)');
      }
      const stored: StoredSession = { name, tokenMac, createdAt: now().toISOString() };
      await options.redis.set(keyOf(sessionId), JSON.stringify(stored), 'EX', ttl);
      return { sessionId, session: { name, createdAt: stored.createdAt, csrfToken: csrfTokenOf(sessionId) } };
    },
    async get(sessionId) {
      if (!SESSION_ID.test(sessionId)) {
        return undefined;
      }
      const raw = await options.redis.get(keyOf(sessionId));
      if (raw === null) {
        return undefined;
      }
      const stored = parseStored(raw);
      if (stored === undefined || adminMacs.get(stored.tokenMac) !== stored.name) {
        return undefined; // the token was removed, rotated or demoted since the login
      }
      return { name: stored.name, createdAt: stored.createdAt, csrfToken: csrfTokenOf(sessionId) };
    },
    async delete(sessionId) {
      if (SESSION_ID.test(sessionId)) {
        await options.redis.del(keyOf(sessionId));
      }
    },
    csrfTokenOf,
    csrfMatches(sessionId, presented) {
      if (presented === undefined) {
        return false;
      }
      const expected = Buffer.from(csrfTokenOf(sessionId));
      const given = Buffer.from(presented);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
