import { type JobStore, parseJobSpec, toStoredSpec } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import { validSpec } from './api-kit';

/** Test-only helpers of the dashboard suites (the app comes from the `api` fixtures). */

/** A stored job (as the API would create it), optionally with secretEnv values sealed apart. */
export async function createTestJob(
  store: JobStore,
  spec: Record<string, unknown> = {},
  owner = 'alice',
): Promise<string> {
  const parsed = parseJobSpec(validSpec({ command: 'echo hi', ...spec }), { currency: 'USD-Blockchain' });
  const { job } = await store.create({ spec: toStoredSpec(parsed), owner });
  return job.id;
}

/** POST /admin/login with a token; returns the response and the session cookie, if one was set. */
export async function login(app: FastifyInstance, token: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token }).toString(),
  });
  const cookie = response.cookies.find((c) => c.name === 'cb_admin');
  return { response, cookie: cookie === undefined ? undefined : `cb_admin=${cookie.value}` };
}

/** The CSRF token the page would read from its meta tag. */
export async function csrfOf(app: FastifyInstance, cookie: string): Promise<string> {
  const page = await app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
  const match = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body);
  if (match?.[1] === undefined) {
    throw new Error(`no CSRF meta tag on /admin (status ${page.statusCode})`);
  }
  return match[1];
}
