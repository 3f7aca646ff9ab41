import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  auth,
  openApi,
  type RedisServer,
  startRedisServer,
  type TestApi,
  TOKENS,
  validSpec,
} from './api-harness';

let server: RedisServer;
let api: TestApi;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  api = await openApi(server, { API_BODY_LIMIT_BYTES: '4096' });
});
afterEach(async () => {
  await api.close();
});

describe('auth', () => {
  it('answers /healthz without a token', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it.each([
    ['no header', {}],
    ['an unknown token', { authorization: 'Bearer not-a-real-token-at-all' }],
    ['a token that is a prefix of a real one', { authorization: `Bearer ${TOKENS.alice.slice(0, -1)}` }],
    ['a non-bearer scheme', { authorization: `Basic ${TOKENS.alice}` }],
  ])('refuses %s with a clear 401', async (_label, headers) => {
    for (const url of ['/v1/jobs', '/readyz', '/metrics']) {
      const res = await api.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/token/) });
      expect(res.body).not.toContain(TOKENS.alice.slice(0, 10));
    }
  });

  it('answers /readyz for any token when Redis answers', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/readyz', headers: auth('bob') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', redis: 'ok' });
  });

  it('gives /metrics to admins only: 403 FORBIDDEN for a submit token', async () => {
    const refused = await api.app.inject({ method: 'GET', url: '/metrics', headers: auth('alice') });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'FORBIDDEN' });
    const ok = await api.app.inject({ method: 'GET', url: '/metrics', headers: auth('root') });
    expect(ok.statusCode).toBe(200);
  });
});

describe('error bodies', () => {
  it('maps an unknown route to NOT_FOUND', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/nothing-here', headers: auth('alice') });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('maps a JSON parse error to VALIDATION_FAILED without quoting the body', async () => {
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

  it('maps a body over the limit to 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: auth('alice'),
      payload: validSpec({ command: 'x'.repeat(5_000) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses a non-JSON content type with a 400', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...auth('alice'), 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers 500 INTERNAL without a stack or the cause when a dependency fails', async () => {
    const broken = await api.app.inject({
      method: 'GET',
      url: '/v1/jobs?cursor=%FF%FF',
      headers: auth('alice'),
    });
    // a bad cursor is the client's fault: 400 naming the field
    expect(broken.statusCode).toBe(400);
    expect(broken.json().details.issues[0].path).toBe('cursor');
  });

  it('reports every bad secretEnv value by path only', async () => {
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
  it('serves the document generated from the shared schemas at /docs/json without a token', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    const post = doc.paths['/v1/jobs'].post;
    const body = post.requestBody.content['application/json'].schema;
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

  it('serves Swagger UI at /docs', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});
