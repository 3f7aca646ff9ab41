import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { describe, expect } from 'vitest';
import { z } from 'zod';
import { apiTest } from './support/api-fixture';
import { auth } from './support/api-kit';
import { documentedStatuses } from './support/openapi-contract';

const test = apiTest({}, { dashboard: {} });

interface Operation {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, unknown>;
}
type Document = { paths: Record<string, Record<string, Operation>>; security?: unknown[] };

async function documentOf(app: FastifyInstance): Promise<Document> {
  await app.ready();
  return app.swagger() as unknown as Document;
}

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
  );

describe('the OpenAPI document (/docs/json)', () => {
  test('is a valid OpenAPI 3.1 document', async ({ api }) => {
    const answer = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(answer.statusCode).toBe(200);
    const result = await new Validator().validate(answer.json());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator is not vacuous: a response without its (required) description is an error.
    const broken = structuredClone(answer.json());
    broken.paths['/v1/jobs'].post.responses['201'] = {};
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  test('names every operation with a unique camelCase operationId', async ({ api }) => {
    const ids = Object.fromEntries(
      operations(await documentOf(api.app)).map(({ key, op }) => [key, op.operationId]),
    );
    expect(ids).toEqual({
      'GET /healthz': 'health',
      'GET /readyz': 'ready',
      'POST /v1/jobs': 'submitJob',
      'GET /v1/jobs': 'listJobs',
      'GET /v1/jobs/{id}': 'getJob',
      'POST /v1/jobs/{id}/cancel': 'cancelJob',
      'GET /v1/jobs/{id}/logs': 'getJobLogs',
      'GET /v1/jobs/{id}/outputs': 'listOutputs',
      'GET /v1/jobs/{id}/outputs/{*}': 'getOutput',
      'POST /v1/sweeps': 'createSweep',
      'GET /v1/sweeps': 'listSweeps',
      'GET /v1/sweeps/{id}': 'getSweep',
      'POST /v1/sweeps/{id}/cancel': 'cancelSweep',
      'GET /v1/offers': 'getOffers',
      'POST /v1/uploads': 'uploadWorkdir',
      'HEAD /v1/uploads/{sha256}': 'hasUpload',
      'GET /v1/webhook-key': 'getWebhookKey',
      'GET /metrics': 'metrics',
    });
    const values = Object.values(ids);
    expect(new Set(values).size).toBe(values.length);
    for (const id of values) {
      expect(id).toMatch(/^[a-z][A-Za-z]*$/);
    }
  });

  test('asks a token of every operation but the probes, and leaves out the dashboard and /docs', async ({
    api,
  }) => {
    const doc = await documentOf(api.app);
    expect(doc.security).toEqual([{ bearer: [] }]);
    for (const { key, op } of operations(doc)) {
      const probe = key === 'GET /healthz' || key === 'GET /readyz';
      expect({ key, security: op.security }).toEqual({ key, security: probe ? [] : undefined });
    }
    expect(
      Object.keys(doc.paths).filter((path) => path.startsWith('/admin') || path.startsWith('/docs')),
    ).toEqual([]);
    // The probes and the documentation really answer without a token; the dashboard route exists.
    for (const url of ['/healthz', '/readyz', '/docs/json']) {
      expect((await api.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    expect((await api.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
    expect((await api.app.inject({ method: 'GET', url: '/admin/api/summary' })).statusCode).toBe(401);
  });

  test('lists only the statuses a route can answer', async ({ api }) => {
    const statuses = documentedStatuses(await documentOf(api.app));
    const of = (key: string) => [...(statuses.get(key) ?? [])].sort();
    expect(of('GET /healthz')).toEqual(['200']);
    expect(of('GET /readyz')).toEqual(['200', '429', '503']);
    expect(of('GET /v1/jobs/{id}')).toEqual(['200', '400', '401', '404', '429', '500']);
    expect(of('POST /v1/jobs')).toEqual(
      ['200', '201', '400', '401', '403', '409', '413', '422', '429', '500', '503'].sort(),
    );
    expect(of('GET /metrics')).toEqual(['200', '401', '403', '429', '500']);
  });
});

describe('the contract check of the API test kit', () => {
  test('fails the close of an app whose route answered an undocumented status', async ({ api }) => {
    api.app.get(
      '/v1/throwaway',
      {
        config: { access: 'public' },
        schema: { operationId: 'throwaway', response: { 200: z.null() } },
      },
      async (_request, reply: FastifyReply) => reply.code(418).send(),
    );
    expect((await api.app.inject({ method: 'GET', url: '/v1/throwaway' })).statusCode).toBe(418);
    // Documented answers, an unmatched URL and a hidden (dashboard) route are no violation.
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: auth('alice') })).statusCode,
    ).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/v1/nothing-here' })).statusCode).toBe(401);
    expect((await api.app.inject({ method: 'GET', url: '/admin/api/summary' })).statusCode).toBe(401);
    await expect(api.close()).rejects.toThrow(/OpenAPI contract.*GET \/v1\/throwaway 418$/);
  });

  test('accepts an app whose answers are all documented', async ({ api }) => {
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/jobs/nope', headers: auth('alice') })).statusCode,
    ).toBe(400);
    expect((await api.app.inject({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(401);
    expect((await api.app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
    await expect(api.close()).resolves.toBeUndefined();
  });
});
