import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApi, startApi } from '@clore-batch/api';
import { loadConfig, silentLogger } from '@clore-batch/shared';
import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './support/run-cli';

/**
 * The CLI's exit codes for API refusals that are neither an auth failure nor an outage, against a
 * real API with no worker (queued jobs stay queued, no marketplace is ever listed): the tenant
 * limits (105) and failed-auth limiting (106) are classified by their code and never retried.
 */
const TOKEN = 'ci-submit-token-0123456789abcdef';
const ADMIN = 'ops-admin-token-0123456789abcdef';

let redis: RedisHandle;
let dataDir: string;
let api: RunningApi | undefined;

beforeAll(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), 'cli-codes-'));
});
afterAll(async () => {
  await redis.stop();
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function open(env: Record<string, string>): Promise<Record<string, string>> {
  const config = loadConfig({
    REDIS_URL: redis.url,
    REDIS_PREFIX: `cli-codes-${randomUUID()}`,
    DATA_DIR: dataDir,
    SECRETS_KEY: 'cli-codes-secrets-key-0123456789abcdef0123',
    LOG_LEVEL: 'silent',
    API_TOKENS: `ci:submit:${TOKEN},ops:admin:${ADMIN}`,
    ...env,
  });
  api = await startApi(config, { host: '127.0.0.1', port: 0, webhooks: false, logger: silentLogger() });
  return { CLORE_BATCH_URL: api.url, CLORE_BATCH_TOKEN: TOKEN };
}

/** How many requests the API answered for POST /v1/jobs with `status` (its own metrics). */
async function submitsAnswered(status: number): Promise<number> {
  const text = await (
    await fetch(`${api?.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })
  ).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.includes('api_requests_total{') &&
        l.includes('route="/v1/jobs"') &&
        l.includes(`status="${status}"`),
    );
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

const SUBMIT = ['submit', '--gpu', 'RTX 3090', '--image', 'u', '--max-price', '1', '--budget', '1'];
const submit = (env: Record<string, string>, extra: string[] = []): Promise<CliResult> =>
  runCli([...SUBMIT, ...extra, '--', 'true'], env);

describe('tenant limits: exit 105 with the API message, no retries', () => {
  it('a per-job limit (403) is not "auth failed"; a full queue (429) is not "API unreachable"', async () => {
    const env = await open({
      TENANT_LIMITS: JSON.stringify({ ci: { maxJobBudgetUsd: 5, maxQueuedJobs: 1 } }),
    });
    const budget = await runCli([...SUBMIT.slice(0, -1), '9', '--', 'true'], env);
    expect(budget.code).toBe(105);
    expect(budget.stderr).toMatch(
      /budgetUsd \$9\.00 is above maxJobBudgetUsd \$5\.00 .*\[TENANT_JOB_BUDGET_LIMIT\]/,
    );
    expect(budget.stderr).not.toMatch(/token was refused|CLORE_BATCH_TOKEN/);

    expect((await submit(env)).code).toBe(0);
    const full = await submit(env, ['--json']);
    expect(full.code).toBe(105);
    expect(JSON.parse(full.stdout)).toMatchObject({
      exit: { code: 105, error: expect.stringMatching(/maxQueuedJobs is 1/) },
      error: { status: 429, code: 'TENANT_QUEUE_FULL' },
    });
    expect(await submitsAnswered(429)).toBe(1);
  }, 60_000);
});

describe('failed-auth limiting: exit 106, no retries', () => {
  it('after AUTH_FAILURE_LIMIT wrong tokens, even the right one exits 106 at once', async () => {
    const env = await open({ AUTH_FAILURE_LIMIT: '2' });
    for (let i = 0; i < 2; i += 1) {
      const wrong = await runCli(['list'], {
        ...env,
        CLORE_BATCH_TOKEN: `wrong-token-${i}-0123456789abcdef`,
      });
      expect(wrong.code).toBe(101);
    }
    const started = Date.now();
    const limited = await submit(env);
    expect(limited.code).toBe(106);
    // Retried, the 429 would be waited on three times for its retry-after (10 s each, capped).
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(limited.stderr).toMatch(/\[AUTH_RATE_LIMITED\]/);
  }, 60_000);
});

describe('no marketplace listed (no worker)', () => {
  it('offers exits 103 saying the marketplace is not known yet; a submit is accepted and its events say why', async () => {
    const env = await open({});
    const offers = await runCli(['offers', '--json'], env);
    expect(offers.code).toBe(103);
    expect(JSON.parse(offers.stdout)).toMatchObject({ error: { status: 503, code: 'MARKETPLACE_UNKNOWN' } });
    const submitted = await submit(env, ['--json']);
    expect(submitted.code).toBe(0);
    const { job } = JSON.parse(submitted.stdout) as { job: { events: { message: string }[] } };
    expect(job.events.map((e) => e.message)).toContain(
      'the marketplace is not known yet (no listing from the fleet leader): the spec was not checked against it',
    );
  }, 60_000);
});
