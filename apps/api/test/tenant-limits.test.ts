import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpFrom } from './edge-http';
import {
  auth,
  openApi,
  type RedisServer,
  startRedisServer,
  type TestApi,
  TOKENS,
  validSpec,
} from './support/api-kit';
import { secondProcess, submitter } from './tenant-fixture';

let server: RedisServer;
let api: TestApi | undefined;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function open(limits: Record<string, unknown>) {
  const opened = await openApi(server, { TENANT_LIMITS: JSON.stringify(limits) });
  api = opened;
  return { api: opened, submit: submitter(opened) };
}

describe('TENANT_LIMITS at submit: per-job limits', () => {
  it('refuses a budget over maxJobBudgetUsd and a price over maxPricePerHourUsd, with the numbers', async () => {
    const { submit } = await open({
      alice: { maxJobBudgetUsd: 20, maxPricePerHourUsd: 2 },
      '*': { maxJobBudgetUsd: 1 },
    });
    const budget = await submit('alice', { budgetUsd: 25 });
    expect(budget.statusCode).toBe(403);
    expect(budget.json()).toEqual({
      code: 'TENANT_JOB_BUDGET_LIMIT',
      message: 'budgetUsd $25.00 is above maxJobBudgetUsd $20.00 of tenant "alice"',
      details: { tenant: 'alice', limit: 'maxJobBudgetUsd', limitUsd: 20, budgetUsd: 25 },
    });
    const price = await submit('alice', { maxPricePerHourUsd: 2.5 });
    expect(price.statusCode).toBe(403);
    expect(price.json()).toMatchObject({
      code: 'TENANT_PRICE_LIMIT',
      details: { tenant: 'alice', limit: 'maxPricePerHourUsd', limitUsd: 2, maxPricePerHourUsd: 2.5 },
    });
    expect((await submit('alice', { budgetUsd: 20, maxPricePerHourUsd: 2 })).statusCode).toBe(201);
    // bob and root are not listed: "*" applies to them.
    expect((await submit('bob', { budgetUsd: 2 })).json()).toMatchObject({ code: 'TENANT_JOB_BUDGET_LIMIT' });
    expect((await submit('root', { budgetUsd: 1 })).statusCode).toBe(201);
    expect((await submit('root', { budgetUsd: 1.01 })).statusCode).toBe(403);
    // Nothing refused was stored or queued.
    expect((await api?.store.countByState('alice'))?.queued).toBe(1);
    expect(await api?.queue.getJobCounts('waiting')).toEqual({ waiting: 2 });
  });

  it('leaves tenants with no entry and no "*" unlimited', async () => {
    const { submit } = await open({ alice: { maxJobBudgetUsd: 1 } });
    expect((await submit('bob', { budgetUsd: 1_000 })).statusCode).toBe(201);
  });
});

describe('TENANT_LIMITS at submit: maxQueuedJobs', () => {
  it('answers 429 TENANT_QUEUE_FULL at the limit, and admits again once a queued job is gone', async () => {
    const { api: a, submit } = await open({ alice: { maxQueuedJobs: 2 } });
    const first = await submit('alice');
    expect((await submit('alice')).statusCode).toBe(201);
    const full = await submit('alice');
    expect(full.statusCode).toBe(429);
    expect(full.json()).toEqual({
      code: 'TENANT_QUEUE_FULL',
      message: 'tenant "alice" has 2 job(s) queued, maxQueuedJobs is 2: retry when some have started',
      details: { tenant: 'alice', limit: 'maxQueuedJobs', maxQueuedJobs: 2, queuedJobs: 2 },
    });
    expect((await submit('bob')).statusCode).toBe(201); // other tenants are not held back
    await a.app.inject({ method: 'POST', url: `/v1/jobs/${first.json().id}/cancel`, headers: auth('alice') });
    expect((await submit('alice')).statusCode).toBe(201);
  });

  it('never refuses a repeat of an Idempotency-Key; a new key is refused', async () => {
    const { submit } = await open({ alice: { maxQueuedJobs: 1, maxJobBudgetUsd: 10 } });
    const first = await submit('alice', {}, { 'idempotency-key': 'build-1' });
    expect(first.statusCode).toBe(201);
    const repeat = await submit('alice', {}, { 'idempotency-key': 'build-1' });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json().id).toBe(first.json().id);
    // Same key, other body: the idempotency conflict, not a limit.
    const other = await submit('alice', { budgetUsd: 6 }, { 'idempotency-key': 'build-1' });
    expect(other.json()).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await submit('alice', {}, { 'idempotency-key': 'build-2' })).statusCode).toBe(429);
  });

  it('admits exactly maxQueuedJobs of 12 concurrent submits sent to two API processes', async () => {
    const { api: a } = await open({ alice: { maxQueuedJobs: 5 } });
    const firstUrl = await a.app.listen({ host: '127.0.0.1', port: 0 });
    const second = await secondProcess(server, a);
    try {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          httpFrom('127.0.0.1', `${i % 2 === 0 ? firstUrl : second.url}/v1/jobs`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
            body: JSON.stringify(validSpec()),
          }),
        ),
      );
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([...Array(5).fill(201), ...Array(7).fill(429)]);
      expect((await a.store.countByState('alice')).queued).toBe(5);
    } finally {
      await second.close();
    }
  });
});
