import { redisKeys, silentLogger } from '@clore-batch/shared';
import { describe, expect } from 'vitest';
import { startEnqueueSweep } from '../src/submission/enqueue-sweep';
import { apiTest } from './support/api-fixture';
import { auth, type TestApi, validSpec } from './support/api-kit';

const test = apiTest();

async function submit(a: TestApi, spec: Record<string, unknown> = {}): Promise<string> {
  const res = await a.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: auth('alice'),
    payload: validSpec(spec),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

describe("the submit's place in the fair-share dispatch", () => {
  test("puts the job in its tenant's ready set by priority (default normal) besides its BullMQ job", async ({
    api,
    server,
  }) => {
    const low = await submit(api, { priority: 'low' });
    const normal = await submit(api);
    const high = await submit(api, { priority: 'high' });
    const keys = redisKeys(api.prefix);
    const owner = (await api.store.get(low)).owner;
    expect(await server.redis.zrange(keys.fair.ready(owner), '0', '-1', 'WITHSCORES')).toEqual([
      high,
      '0',
      normal,
      '1',
      low,
      '2',
    ]);
    expect((await api.store.get(normal)).spec.priority).toBe('normal');
    expect(await server.redis.smembers(keys.fair.tenants())).toHaveLength(1);
    expect(await api.queue.getJobCounts('waiting')).toEqual({ waiting: 3 });
    const bad = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: auth('alice'),
      payload: validSpec({ priority: 'urgent' }),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain("must be 'low', 'normal' or 'high'");
  });

  test('the enqueue sweep puts a queued job back in its ready set when it is missing there', async ({
    api,
    server,
  }) => {
    const id = await submit(api);
    const keys = redisKeys(api.prefix);
    const owner = (await api.store.get(id)).owner;
    await server.redis.del(keys.fair.ready(owner), keys.fair.tenants()); // a lost write, or a job from before 0131
    let now = Date.now();
    const sweep = startEnqueueSweep({
      store: api.store,
      queue: api.queue,
      logger: silentLogger(),
      intervalMs: 60_000,
      minAgeMs: 5_000,
      now: () => now,
    });
    try {
      now += 10_000;
      expect(await sweep.runOnce()).toEqual([]); // it has its BullMQ job
      expect(await server.redis.zrange(keys.fair.ready(owner), '0', '-1')).toEqual([id]);
      expect(await server.redis.smembers(keys.fair.tenants())).toHaveLength(1);
    } finally {
      await sweep.stop();
    }
  });
});
