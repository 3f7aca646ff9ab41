import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { waitFor } from '@clore-batch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/api-client';
import { type Sandbox, startSandbox } from '../src/sandbox/start-sandbox';
import { marketKnown, rentOutAModel } from './support/market-kit';
import { type CliResult, REPO, runCli } from './support/run-cli';

/**
 * The CLI as a CI pipeline runs it, against a sandbox (Redis, the simulator with real sshd hosts,
 * the API and a worker as processes): offers, the submit checks against the market, dry runs,
 * provisionTimeoutSeconds, and the newer flags and commands (issue 16).
 */
let sandbox: Sandbox;
let env: Record<string, string>;
let client: ApiClient;

const JOB = ['--image', 'ubuntu:22.04', '--budget', '1'];
const RTX3090 = ['--gpu', 'RTX 3090', '--max-price', '3', ...JOB];

type Json = Record<string, unknown>;
const json = (result: CliResult) => JSON.parse(result.stdout) as Json;

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    redisUrl: process.env.REDIS_URL,
    provisioningMs: [100, 300],
    simLimits: { generalMs: 100, createMs: 500 },
    appEnv: {
      LOG_LEVEL: 'warn',
      ORDER_POLL_INTERVAL_MS: '200',
      MARKETPLACE_REFRESH_MS: '1000',
      // Longer than any wait here: a job that gives up sooner used its own provisionTimeoutSeconds.
      PROVISION_TIMEOUT_SECONDS: '120',
      WEBHOOK_ALLOW_PRIVATE: 'true',
    },
  });
  env = { CLORE_BATCH_URL: sandbox.url, CLORE_BATCH_TOKEN: sandbox.token };
  client = new ApiClient({ baseUrl: sandbox.url, token: sandbox.token });
  await marketKnown(client);
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
}, 60_000);

const jobCount = async () => (await client.listJobs({ limit: 500 })).jobs.length;

describe('offers', () => {
  it('prints the marketplace as a table per GPU model and count, and --json as the API answers', async () => {
    const table = await runCli(['offers'], env);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(
      /^GPU\s+COUNT\s+FREE\/LISTED\s+FROM \$\/H\s+MEDIAN \$\/H\s+VRAM GB\s+CHEAPEST FREE SERVERS$/,
    );
    expect(
      rows.some((row) => /^RTX 3090\s+1\s+\d+\/\d+\s+\$[\d.]+\s+\$[\d.]+\s+24\s+\d+ \(\$/.test(row)),
    ).toBe(true);
    expect(table.stderr).toMatch(/marketplace listed \d+ s ago \(CLORE-Blockchain, on-demand/);

    const filtered = await runCli(['offers', '--gpu', 'RTX 3090', '--spot', '--json'], env);
    const doc = json(filtered) as {
      orderType: string;
      offers: { gpu: string; free: number; servers: number }[];
    };
    expect(doc.orderType).toBe('spot');
    expect(new Set(doc.offers.map((o) => o.gpu))).toEqual(new Set(['RTX 3090']));
    expect(doc.offers.every((o) => o.free <= o.servers)).toBe(true);

    const none = await runCli(['offers', '--max-price', '0.0001'], env);
    expect(none.code).toBe(0);
    expect(none.stderr).toMatch(/no offer matches/);
  }, 60_000);
});

describe('submit against the marketplace', () => {
  it('refuses a GPU model no server has, with "did you mean" (exit 2); --json prints one document', async () => {
    const before = await jobCount();
    const typo = await runCli(['submit', '--gpu', 'RTX 4900', '--max-price', '3', ...JOB, '--', 'true'], env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/did you mean "RTX 4090".*\[GPU_MODEL_UNKNOWN\]/);
    const doc = await runCli(
      ['submit', '--gpu', 'RTX 4900', '--max-price', '3', ...JOB, '--json', '--', 'true'],
      env,
    );
    expect(doc.code).toBe(2);
    expect(json(doc)).toMatchObject({
      exit: { code: 2, kind: 'orchestration' },
      error: {
        status: 422,
        code: 'GPU_MODEL_UNKNOWN',
        details: { suggestions: expect.arrayContaining(['RTX 4090']) },
      },
    });
    expect(await jobCount()).toBe(before);
  }, 60_000);

  it('refuses a price cap under every matching server, naming the cheapest offer (exit 2)', async () => {
    const cheap = await runCli(
      ['submit', '--gpu', 'RTX 3090', '--max-price', '0.001', ...JOB, '--', 'true'],
      env,
    );
    expect(cheap.code).toBe(2);
    expect(cheap.stderr).toMatch(
      /costs more than maxPricePerHourUsd .*closest offer: server \d+: 1x RTX 3090.*\[SPEC_UNSATISFIABLE\]/,
    );
  }, 60_000);

  it('accepts a model whose servers are all rented: it waits provisionTimeoutSeconds, then no_matching_server (110)', async () => {
    const gpu = await rentOutAModel(sandbox, client);
    const started = Date.now();
    const result = await runCli(
      [
        'submit',
        '--gpu',
        gpu,
        '--max-price',
        '100',
        ...JOB,
        '--provision-timeout',
        '3',
        '--wait',
        '--json',
        '--',
        'true',
      ],
      env,
    );
    expect(result.code).toBe(110);
    expect(Date.now() - started).toBeLessThan(60_000);
    const { job } = json(result) as {
      job: { id: string; spec: Json; message: string; events: { message: string }[] };
    };
    expect(job.spec.provisionTimeoutSeconds).toBe(3);
    expect(job.message).toMatch(/within 3 s/);
    expect(job.events.map((e) => e.message).join('\n')).toMatch(
      /rented or offline right now: the job waits for one \(up to provisionTimeoutSeconds, 3 s\)/,
    );
  }, 90_000);
});

describe('submit --dry-run', () => {
  it('prints the servers it would try first, the creation fee, the estimate and the budget cover; submits nothing', async () => {
    const before = await jobCount();
    const text = await runCli(['submit', ...RTX3090, '--timeout', '1800', '--dry-run', '--', 'true'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^plan only: nothing was submitted, stored or rented \(marketplace listed \d+ s ago\)/,
    );
    expect(text.stdout).toMatch(
      /SERVER\s+GPU\s+\$\/H\s+CREATION FEE\s+RELIABILITY\s+COUNTRY\n\d+\s+\dx RTX 3090\s+\$/,
    );
    expect(text.stdout).toMatch(
      /estimate for timeoutSeconds 1800 s on server \d+: .* creation fee \$[\d.]+ = \$[\d.]+; budget \$1.00 covers it/,
    );
    expect(text.stdout).not.toMatch(/\(est\.\)/); // the sandbox's API reads the fee book (renter_fees)

    const doc = await runCli(
      [
        'submit',
        ...RTX3090,
        '--min-reliability',
        '0.5',
        '--max-attempts',
        '2',
        '--currency',
        'USD-Blockchain',
        '--webhook-url',
        'http://127.0.0.1:9/hook',
        '--provision-timeout',
        '45',
        '--budget',
        '0.05',
        '--dry-run',
        '--json',
        '--',
        'true',
      ],
      env,
    );
    expect(doc.code).toBe(0);
    const plan = json(doc) as {
      spec: Json;
      servers: { creationFeeKnown: boolean; usdPerHour: number }[];
      estimate: { budgetCovers: boolean; creationFeeKnown: boolean };
      provisionTimeoutSeconds: number;
    };
    expect(plan.spec).toMatchObject({
      minReliability: 0.5,
      maxAttempts: 2,
      currency: 'USD-Blockchain',
      webhookUrl: 'http://127.0.0.1:9/hook',
      provisionTimeoutSeconds: 45,
      budgetUsd: 0.05,
    });
    expect(plan.provisionTimeoutSeconds).toBe(45);
    expect(plan.estimate).toMatchObject({ budgetCovers: false, creationFeeKnown: true });
    expect(await jobCount()).toBe(before);
  }, 60_000);

  it('is refused as a submit is: the same exit code and message', async () => {
    const args = ['--gpu', 'RTX 4900', '--max-price', '3', ...JOB];
    const dry = await runCli(['submit', ...args, '--dry-run', '--', 'true'], env);
    const real = await runCli(['submit', ...args, '--', 'true'], env);
    expect(dry.code).toBe(2);
    expect(dry.stderr.replace('plan the job', 'submit the job')).toBe(real.stderr);
  }, 60_000);
});

describe('the newer commands and flags', () => {
  it('--version prints the version', async () => {
    const version = (JSON.parse(readFileSync(`${REPO}/apps/cli/package.json`, 'utf8')) as { version: string })
      .version;
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('list shows GPU, duration and cost; logs --tail N prints the last N lines', async () => {
    const key = `tail-${randomUUID()}`;
    const done = await runCli(
      [
        'submit',
        ...RTX3090,
        '--idempotency-key',
        key,
        '--wait',
        '--quiet',
        '--',
        'for i in $(seq 1 40); do echo line $i; done',
      ],
      env,
    );
    expect(done.code).toBe(0);
    const id = (await client.jobByIdempotencyKey(key))?.id as string;
    const tail = await runCli(['logs', id, '--tail', '3'], env);
    expect(tail).toMatchObject({ code: 0, stdout: 'line 38\nline 39\nline 40\n' });
    expect((await runCli(['logs', id, '--tail', '0'], env)).stdout).toBe('');
    const list = await runCli(['list', '--limit', '100'], env);
    expect(list.stdout.split('\n')[0]).toMatch(
      /^ID\s+STATE\s+REASON\s+GPU\s+DURATION\s+COST\s+CREATED \(UTC\)\s+NAME$/,
    );
    const row = list.stdout.split('\n').find((line) => line.startsWith(id));
    expect(row).toMatch(new RegExp(`^${id}\\s+succeeded\\s+1x RTX 3090\\s+\\d+s\\s+\\$[\\d.]+\\s+\\d{4}-`));
  }, 90_000);

  it('cancel --idempotency-key cancels the job submitted under the key; a 409 names that job', async () => {
    const key = `ci-${randomUUID()}`;
    const submitted = await runCli(['submit', ...RTX3090, '--idempotency-key', key, '--', 'sleep 600'], env);
    const id = submitted.stdout.trim();
    const conflict = await runCli(['submit', ...RTX3090, '--idempotency-key', key, '--', 'sleep 1'], env);
    expect(conflict.code).toBe(103);
    expect(conflict.stderr).toContain(`[IDEMPOTENCY_CONFLICT] (the key's job: ${id};`);
    const cancelled = await runCli(['cancel', '--idempotency-key', key, '--wait', '--json'], env);
    expect(cancelled.code).toBe(0);
    expect(json(cancelled)).toMatchObject({ id, state: 'cancelled' });
    const unknown = await runCli(['cancel', '--idempotency-key', `none-${randomUUID()}`, '--json'], env);
    expect(unknown.code).toBe(102);
    expect(json(unknown)).toMatchObject({ exit: { code: 102 } });
    const both = await runCli(['cancel', id, '--idempotency-key', key], env);
    expect(both.code).toBe(2);
    await waitFor(async () => (await client.getJob(id)).state === 'cancelled');
  }, 90_000);

  it('--json prints exactly one document when a command fails before a job exists', async () => {
    const usage = await runCli(['submit', '--json', '--gpu', 'RTX 3090', '--', 'true'], env);
    expect(usage.code).toBe(2);
    expect(json(usage)).toMatchObject({
      exit: { code: 2, kind: 'orchestration', error: expect.stringMatching(/image/) },
    });
    const flag = await runCli(['list', '--json', '--colour'], env);
    expect(flag.code).toBe(2);
    expect(json(flag)).toMatchObject({ exit: { code: 2, error: "unknown option '--colour'" } });
    const missing = await runCli(['status', 'job_01ARZ3NDEKTSV4RRFFQ69G5FAV', '--json'], env);
    expect(missing.code).toBe(102);
    expect(json(missing)).toMatchObject({
      exit: { code: 102 },
      error: { status: 404, code: 'JOB_NOT_FOUND' },
    });
  }, 60_000);
});
