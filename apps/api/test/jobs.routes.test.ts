import { describe, expect } from 'vitest';
import { apiTest } from './support/api-fixture';
import { auth, submitJob, validSpec } from './support/api-kit';

const test = apiTest();

describe('POST /v1/jobs', () => {
  test('stores, enqueues (BullMQ jobId = job id) and answers 201 with the public job', async ({
    api,
    server,
  }) => {
    const res = await submitJob(
      api,
      'alice',
      validSpec({ secretEnv: { HF_TOKEN: 'hf-very-secret-value' }, env: { A: '1' } }),
    );
    expect(res.statusCode).toBe(201);
    const job = res.json();
    expect(job).toMatchObject({ state: 'queued', owner: 'alice', costUsd: 0, attempts: [], outputs: [] });
    expect(job.id).toMatch(/^job_/);
    expect(job.spec.currency).toBe('CLORE-Blockchain');
    expect(job.spec.secretEnvNames).toEqual(['HF_TOKEN']);
    expect(job.spec.secretEnv).toBeUndefined();
    expect(res.body).not.toContain('hf-very-secret-value');
    const queued = await api.queue.getJob(job.id);
    expect(queued?.name).toBe('run');
    expect(queued?.data).toEqual({ jobId: job.id });
    const sealed = await server.redis.hgetall(`${api.prefix}:jobstore:job:${job.id}:secrets`);
    expect(JSON.stringify(sealed)).not.toContain('hf-very-secret-value');
    expect(Object.keys(sealed).length).toBeGreaterThan(0);
  });

  test('returns the same job (200) for a repeat with the same Idempotency-Key and body', async ({ api }) => {
    const first = await submitJob(api, 'alice', validSpec(), { 'idempotency-key': 'build-42' });
    const again = await submitJob(
      api,
      'alice',
      { ...validSpec(), budgetUsd: 5 },
      { 'idempotency-key': 'build-42' },
    );
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(await api.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  test('creates exactly one job for 10 concurrent identical requests with one key', async ({ api }) => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => submitJob(api, 'alice', validSpec(), { 'idempotency-key': 'race-1' })),
    );
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    expect((await api.store.list({ owner: 'alice' })).jobs).toHaveLength(1);
    expect(await api.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  test('answers 409 IDEMPOTENCY_CONFLICT for the same key with another body', async ({ api }) => {
    await submitJob(api, 'alice', validSpec(), { 'idempotency-key': 'build-43' });
    const other = await submitJob(api, 'alice', validSpec({ command: 'echo other' }), {
      'idempotency-key': 'build-43',
    });
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('IDEMPOTENCY_CONFLICT');
  });

  test('treats a different secretEnv value under the same key as another body (409)', async ({ api }) => {
    await submitJob(api, 'alice', validSpec({ secretEnv: { K: 'one-secret' } }), { 'idempotency-key': 'k1' });
    const other = await submitJob(api, 'alice', validSpec({ secretEnv: { K: 'two-secret' } }), {
      'idempotency-key': 'k1',
    });
    expect(other.statusCode).toBe(409);
    expect(other.body).not.toMatch(/one-secret|two-secret/);
  });

  test('scopes idempotency keys per token: the same key from another token is another job', async ({
    api,
  }) => {
    const a = await submitJob(api, 'alice', validSpec(), { 'idempotency-key': 'shared' });
    const b = await submitJob(api, 'bob', validSpec(), { 'idempotency-key': 'shared' });
    expect(b.statusCode).toBe(201);
    expect(b.json().id).not.toBe(a.json().id);
  });

  test('refuses a malformed Idempotency-Key', async ({ api }) => {
    const res = await submitJob(api, 'alice', validSpec(), { 'idempotency-key': 'x'.repeat(201) });
    expect(res.statusCode).toBe(400);
    expect(res.json().details.issues[0].path).toBe('headers.idempotency-key');
  });

  test('refuses webhook URLs on loopback or private addresses (literal and by DNS)', async ({ api }) => {
    for (const webhookUrl of [
      'http://127.0.0.1:9/x',
      'http://localhost:9/x',
      'https://10.1.2.3/x',
      'https://[::ffff:192.168.1.1]/x',
      'https://169.254.169.254/latest',
    ]) {
      const res = await submitJob(api, 'alice', validSpec({ webhookUrl }));
      expect(res.statusCode, webhookUrl).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'WEBHOOK_URL_REFUSED',
        details: { issues: [{ path: 'webhookUrl' }] },
      });
    }
    expect(await api.queue.getJobCounts('waiting')).toEqual({ waiting: 0 });
  });
});

describe('GET /v1/jobs/:id and GET /v1/jobs', () => {
  test('returns the job to its owner and to an admin', async ({ api }) => {
    const id = (await submitJob(api, 'alice')).json().id;
    for (const who of ['alice', 'root'] as const) {
      const res = await api.app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: auth(who) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        id,
        owner: 'alice',
        events: expect.arrayContaining([expect.objectContaining({ to: 'queued' })]),
      });
    }
  });

  test('answers 404 JOB_NOT_FOUND for an unknown id and 400 for a malformed one', async ({ api }) => {
    const missing = await api.app.inject({
      method: 'GET',
      url: '/v1/jobs/job_01ARZ3NDEKTSV4RRFFQ69G5FAV',
      headers: auth('alice'),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('JOB_NOT_FOUND');
    const bad = await api.app.inject({ method: 'GET', url: '/v1/jobs/not-an-id', headers: auth('alice') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details.issues[0].path).toBe('id');
  });

  test("lists newest first with cursor pagination, only the caller's jobs for a submit token", async ({
    api,
  }) => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      ids.push((await submitJob(api, 'alice', validSpec({ name: `a${i}` }))).json().id);
    }
    await submitJob(api, 'bob');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const url = `/v1/jobs?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await api.app.inject({ method: 'GET', url, headers: auth('alice') });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.jobs.length).toBeLessThanOrEqual(3);
      seen.push(...page.jobs.map((j: { id: string }) => j.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const admin = await api.app.inject({ method: 'GET', url: '/v1/jobs?limit=100', headers: auth('root') });
    expect(admin.json().jobs).toHaveLength(8);
    const onlyBob = await api.app.inject({ method: 'GET', url: '/v1/jobs?owner=bob', headers: auth('root') });
    expect(onlyBob.json().jobs.map((j: { owner: string }) => j.owner)).toEqual(['bob']);
    const ignored = await api.app.inject({
      method: 'GET',
      url: '/v1/jobs?owner=bob',
      headers: auth('alice'),
    });
    expect(ignored.json().jobs.every((j: { owner: string }) => j.owner === 'alice')).toBe(true);
  });

  test('filters by state', async ({ api }) => {
    const a = (await submitJob(api, 'alice')).json().id;
    const b = (await submitJob(api, 'alice')).json().id;
    await api.app.inject({ method: 'POST', url: `/v1/jobs/${a}/cancel`, headers: auth('alice') });
    const cancelled = await api.app.inject({
      method: 'GET',
      url: '/v1/jobs?state=cancelled',
      headers: auth('alice'),
    });
    expect(cancelled.json().jobs.map((j: { id: string }) => j.id)).toEqual([a]);
    const queued = await api.app.inject({
      method: 'GET',
      url: '/v1/jobs?state=queued',
      headers: auth('alice'),
    });
    expect(queued.json().jobs.map((j: { id: string }) => j.id)).toEqual([b]);
  });

  test('refuses bad query values naming the field', async ({ api }) => {
    for (const [query, path] of [
      ['state=exploded', 'state'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['colour=red', 'colour'],
    ]) {
      const res = await api.app.inject({ method: 'GET', url: `/v1/jobs?${query}`, headers: auth('alice') });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().details.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
  });
});

describe('POST /v1/jobs/:id/cancel', () => {
  test('cancels a queued job at once (202) and a second cancel is a clear 409', async ({ api }) => {
    const id = (await submitJob(api, 'alice')).json().id;
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/cancel`,
      headers: auth('alice'),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id, state: 'cancelled' });
    const again = await api.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/cancel`,
      headers: auth('alice'),
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      code: 'JOB_ALREADY_TERMINAL',
      message: expect.stringContaining('cancelled'),
    });
  });

  test('asks a running job to stop (202 with cancelRequestedAt); an admin may cancel any job', async ({
    api,
  }) => {
    const id = (await submitJob(api, 'alice')).json().id;
    await api.store.transition(id, 'dispatch', { expectedState: 'queued' });
    const res = await api.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: auth('root') });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id, state: 'provisioning', cancelRequestedAt: expect.any(String) });
  });

  test('owes the cancelled webhook of a queued job that has a webhookUrl (the outbox entry)', async ({
    openApi,
  }) => {
    const app2 = await openApi({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    try {
      const created = await app2.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: auth('alice'),
        payload: validSpec({ webhookUrl: 'http://127.0.0.1:9/hook' }),
      });
      const id = created.json().id;
      await app2.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: auth('alice') });
      expect(await app2.store.outboxEntries()).toEqual([
        { jobId: id, state: 'cancelled', at: expect.any(String) },
      ]);
    } finally {
      await app2.close();
    }
  });
});
