import { silentLogger } from '@clore-batch/shared';
import { freePort } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { buildApp } from '../src/app';
import { apiTest } from './support/api-fixture';
import { auth, TOKENS, validSpec } from './support/api-kit';

const test = apiTest({ API_BODY_LIMIT_BYTES: '4096' });

describe('auth', () => {
  test('answers /healthz without a token', async ({ api }) => {
    const res = await api.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  test.for<[string, Record<string, string>]>([
    ['no header', {}],
    ['an unknown token', { authorization: 'Bearer not-a-real-token-at-all' }],
    ['a token that is a prefix of a real one', { authorization: `Bearer ${TOKENS.alice.slice(0, -1)}` }],
    ['a non-bearer scheme', { authorization: `Basic ${TOKENS.alice}` }],
  ])('refuses %s with a clear 401', async ([_label, headers], { api }) => {
    for (const url of ['/v1/jobs', '/metrics']) {
      const res = await api.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="clore-batch"');
      expect(res.json()).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/token/) });
      expect(res.body).not.toContain(TOKENS.alice.slice(0, 10));
    }
  });

  test('answers /readyz 503 REDIS_UNAVAILABLE when Redis does not answer', async ({ api }) => {
    // Never connects (nothing listens there), so it is not tracked; disconnect() ends it.
    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    down.on('error', () => {});
    const app = await buildApp({
      config: api.config,
      logger: silentLogger(),
      redis: down,
      store: api.store,
      queue: api.queue,
      webhookQueue: api.webhookQueue,
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz', headers: auth('alice') });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    } finally {
      await app.close();
      down.disconnect();
    }
  });

  test('answers /readyz for any token when Redis answers', async ({ api }) => {
    const res = await api.app.inject({ method: 'GET', url: '/readyz', headers: auth('bob') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', redis: 'ok' });
  });

  test('gives /metrics to admins only: 403 FORBIDDEN for a submit token', async ({ api }) => {
    const refused = await api.app.inject({ method: 'GET', url: '/metrics', headers: auth('alice') });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'FORBIDDEN' });
    const ok = await api.app.inject({ method: 'GET', url: '/metrics', headers: auth('root') });
    expect(ok.statusCode).toBe(200);
  });
});

describe('error bodies', () => {
  test('maps an unknown route to NOT_FOUND', async ({ api }) => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/nothing-here', headers: auth('alice') });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  test('maps a JSON parse error to VALIDATION_FAILED without quoting the body', async ({ api }) => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...auth('alice'), 'content-type': 'application/json' },
      payload: '{"secretEnv": {"K": "hunter2-secret-value"',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'request body is not valid JSON',
      details: { issues: [{ path: '', message: 'request body is not valid JSON' }] },
    });
    expect(res.body).not.toContain('hunter2');
  });

  test('maps a body over the limit to 413 PAYLOAD_TOO_LARGE', async ({ api }) => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: auth('alice'),
      payload: validSpec({ command: 'x'.repeat(5_000) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  test('refuses a non-JSON content type with a 400', async ({ api }) => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...auth('alice'), 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  test('refuses a cursor it did not issue with a 400 naming the field', async ({ api }) => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/v1/jobs?cursor=%FF%FF',
      headers: auth('alice'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().details.issues[0].path).toBe('cursor');
  });

  test('answers 500 INTERNAL with no stack, cause or detail when a dependency throws', async ({
    openApi,
  }) => {
    const broken = await openApi(
      {},
      {
        wrapStore: (store) => ({
          ...store,
          get: async () => {
            throw new Error(`ECONNRESET at /srv/secret/path with token ${TOKENS.root}`);
          },
        }),
      },
    );
    try {
      const res = await broken.app.inject({
        method: 'GET',
        url: '/v1/jobs/job_01ARZ3NDEKTSV4RRFFQ69G5FAV',
        headers: auth('alice'),
      });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ code: 'INTERNAL', message: 'internal error' });
      expect(res.body).not.toMatch(/ECONNRESET|secret|stack|at /);
    } finally {
      await broken.close();
    }
  });

  test('reports every bad secretEnv value by path only', async ({ api }) => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: auth('alice'),
      payload: validSpec({ secretEnv: { 'BAD NAME': 'sup3r-s3cret-1', OK: 42, NUL: 'sup3r\u0000s3cret-2' } }),
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'secretEnv.BAD NAME',
      'secretEnv.NUL',
      'secretEnv.OK',
    ]);
    expect(res.body).not.toMatch(/sup3r/);
  });
});

describe('OpenAPI', () => {
  test('serves the document generated from the shared schemas at /docs/json without a token', async ({
    api,
  }) => {
    const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    const post = doc.paths['/v1/jobs'].post;
    const ref: string = post.requestBody.content['application/json'].schema.$ref;
    expect(ref).toMatch(/^#\/components\/schemas\/JobSpec/);
    const body = doc.components.schemas[ref.split('/').pop() ?? ''];
    expect(body.additionalProperties).toBe(false);
    expect(body.required.sort()).toEqual(['budgetUsd', 'command', 'gpu', 'image', 'maxPricePerHourUsd']);
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '401', '409']));
    for (const path of [
      '/v1/jobs/{id}',
      '/v1/jobs/{id}/cancel',
      '/v1/jobs/{id}/logs',
      '/v1/jobs/{id}/outputs',
      '/healthz',
      '/readyz',
      '/metrics',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });

  test('serves Swagger UI at /docs', async ({ api }) => {
    const res = await api.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});
