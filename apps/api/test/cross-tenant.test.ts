import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { apiTest } from './support/api-fixture';
import { auth, submitJob, type TestApi, validSpec } from './support/api-kit';

const test = apiTest();

let api: TestApi;
let base: string;
let jobA: string;

test.beforeEach(async ({ api: opened, baseUrl }) => {
  api = opened;
  base = baseUrl;
  const res = await submitJob(api, 'alice', validSpec({ name: 'alice private job' }));
  jobA = res.json().id;
  await api.store.appendLog(jobA, 0, Buffer.from('alice log line\n'));
  await mkdir(join(api.store.jobDir(jobA), 'outputs', 'out'), { recursive: true });
  await writeFile(join(api.store.jobDir(jobA), 'outputs', 'out', 'result.txt'), 'alice result');
  await api.store.update(jobA, (job) => {
    job.outputs.push({ path: '/out/result.txt', size: 12 });
  });
});

describe("token B and token A's job", () => {
  const unknownId = 'job_01ARZ3NDEKTSV4RRFFQ69G5FAV';

  test.each([
    ['read', 'GET', (id: string) => `/v1/jobs/${id}`],
    ['read the log', 'GET', (id: string) => `/v1/jobs/${id}/logs`],
    ['follow the log', 'GET', (id: string) => `/v1/jobs/${id}/logs?follow=1`],
    ['list the outputs', 'GET', (id: string) => `/v1/jobs/${id}/outputs`],
    ['download an output', 'GET', (id: string) => `/v1/jobs/${id}/outputs/out/result.txt`],
    ['cancel', 'POST', (id: string) => `/v1/jobs/${id}/cancel`],
  ])('B cannot %s it: the same 404 as for a job that does not exist', async (_label, method, path) => {
    const asB = await fetch(`${base}${path(jobA)}`, { method, headers: auth('bob') });
    const missing = await fetch(`${base}${path(unknownId)}`, { method, headers: auth('bob') });
    expect(asB.status).toBe(404);
    const body = (await asB.json()) as { code: string; message: string };
    expect(body.code).toBe('JOB_NOT_FOUND');
    expect(body.message.replace(jobA, 'ID')).toBe(
      ((await missing.json()) as { message: string }).message.replace(unknownId, 'ID'),
    );
    expect(JSON.stringify(body)).not.toMatch(/alice/);
  });

  test('B does not see it in a listing, with or without filters', async () => {
    for (const query of ['', '?state=queued', '?owner=alice', '?limit=500']) {
      const res = await fetch(`${base}/v1/jobs${query}`, { headers: auth('bob') });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { jobs: unknown[] }).jobs).toEqual([]);
    }
  });

  test('the job is untouched afterwards and A (and an admin) still see everything', async () => {
    await fetch(`${base}/v1/jobs/${jobA}/cancel`, { method: 'POST', headers: auth('bob') });
    const job = await api.store.get(jobA);
    expect(job.state).toBe('queued');
    expect(job.cancelRequestedAt).toBeUndefined();
    for (const who of ['alice', 'root'] as const) {
      const log = await fetch(`${base}/v1/jobs/${jobA}/logs`, { headers: auth(who) });
      expect(await log.text()).toBe('alice log line\n');
      const file = await fetch(`${base}/v1/jobs/${jobA}/outputs/out/result.txt`, { headers: auth(who) });
      expect(await file.text()).toBe('alice result');
    }
  });
});
