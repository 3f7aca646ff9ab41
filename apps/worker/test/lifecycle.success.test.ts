import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createTelemetryCounters, METRICS } from '@clore-batch/shared';
import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, startKit, waitForBullSettled } from './support/e2e-kit';

let redis: RedisHandle;
let kit: Kit | undefined;

beforeAll(async () => {
  redis = await startRedis({ private: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

describe('the job lifecycle, happy path and command failure', () => {
  it('runs a job: output streamed and complete, outputs collected, exit 0, cost recorded, order released', async () => {
    kit = await startKit(redis.url);
    const dir = `/tmp/cb-e2e-${randomUUID()}`;
    const command = [
      `mkdir -p ${dir}/sub`,
      'for i in $(seq 1 200); do echo "line $i of the output"; done',
      `echo "$GREETING $SECRET_TOKEN" > ${dir}/out.txt`,
      `head -c 5000 /dev/zero > ${dir}/sub/blob.bin`,
      'echo done',
    ].join(' && ');
    const job = await kit.submit(
      {
        command,
        env: { GREETING: 'hi' },
        outputs: [`${dir}/out.txt`, `${dir}/sub`],
        webhookUrl: 'https://hooks.example.com/clore-batch',
      },
      { SECRET_TOKEN: 's3cret-value' },
    );
    const done = await kit.waitDone(job.id);
    try {
      expect(done.state).toBe('succeeded');
      expect(done.exitCode).toBe(0);
      const expected = `${Array.from({ length: 200 }, (_, i) => `line ${i + 1} of the output\n`).join('')}done\n`;
      expect((await kit.store.readLog(job.id)).toString()).toBe(expected);
      expect(await readFile(kit.store.logFilePath(job.id), 'utf8')).toBe(expected);
      expect(done.outputs).toEqual(
        expect.arrayContaining([
          { path: `${dir}/out.txt`, size: 'hi s3cret-value\n'.length },
          { path: `${dir}/sub/blob.bin`, size: 5000 },
        ]),
      );
      const local = join(kit.store.outputsDir(job.id), dir, 'out.txt');
      expect(await readFile(local, 'utf8')).toBe('hi s3cret-value\n');
      expect(done.attempts).toHaveLength(1);
      const attempt = done.attempts[0];
      expect(attempt?.endReason).toBe('completed');
      expect(attempt?.orderId).toBeTypeOf('number');
      expect(attempt?.spentUsd).toBeGreaterThan(0);
      expect(done.costUsd).toBeCloseTo(attempt?.spentUsd ?? -1, 5);
      expect(done.events.filter((e) => e.type === 'state').map((e) => e.to)).toEqual([
        'queued',
        'provisioning',
        'running',
        'collecting',
        'succeeded',
      ]);
      // The secret never reached the record or the simulator's view of the order.
      expect(JSON.stringify(done)).not.toContain('s3cret-value');
      await kit.noActiveOrders();
      // The terminal write left the webhook it owes in the store's outbox (the API's drainer sends it).
      expect(await kit.store.outboxEntries()).toEqual([
        { jobId: job.id, state: 'succeeded', at: expect.any(String) },
      ]);
      // Telemetry the API's /metrics reads: Clore calls by endpoint and code, dollars, durations.
      const telemetry = createTelemetryCounters(kit.redis, kit.prefix);
      const calls = await telemetry.read(METRICS.cloreCalls);
      expect(calls).toContainEqual({ labels: { endpoint: 'create_order', code: '0' }, value: 1 });
      expect((await telemetry.read(METRICS.usdSpent))[0]?.value).toBeGreaterThan(0);
      expect((await telemetry.read(`${METRICS.jobDuration}_count`))[0]?.value).toBe(1);
      const orders = await kit.orders();
      expect(orders).toHaveLength(1);
      expect(orders[0]?.endReason).toBe('cancelled');
      // The cost is the provider's own bill (USD-Blockchain: 1 USD per unit), spend + creation fee.
      const billed = (orders[0]?.spend ?? 0) + (orders[0]?.creationFee ?? 0);
      expect(attempt?.spentUsd).toBeCloseTo(billed, 4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a non-zero exit (42) fails the job with command_failed and exitCode 42, outputs still collected', async () => {
    kit = await startKit(redis.url);
    const dir = `/tmp/cb-e2e-${randomUUID()}`;
    const job = await kit.submit({
      command: `mkdir -p ${dir} && echo partial > ${dir}/p.txt && echo failing && exit 42`,
      outputs: [`${dir}/p.txt`],
    });
    const done = await kit.waitDone(job.id);
    try {
      expect(done.state).toBe('failed');
      expect(done.reason).toBe('command_failed');
      expect(done.exitCode).toBe(42);
      expect(done.attempts).toHaveLength(1);
      expect(done.outputs).toEqual([{ path: `${dir}/p.txt`, size: 8 }]);
      expect((await kit.store.readLog(job.id)).toString()).toBe('failing\n');
      await kit.noActiveOrders();
      // Its BullMQ job failed with the reason (bull-board tells the truth; decision 0146), once.
      const bull = await waitForBullSettled(kit, job.id);
      expect(bull).toMatchObject({ state: 'failed', attemptsMade: 1 });
      expect(bull.failedReason).toMatch(/^failed \(command_failed, exit code 42\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("works with the seeds' response shape too (create_order returns the order id, orders carry a status)", async () => {
    kit = await startKit(redis.url, { sim: { shape: 'seed' } });
    const job = await kit.submit({ command: 'echo seed shape' });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    expect((await kit.store.readLog(job.id)).toString()).toBe('seed shape\n');
    expect(done.attempts[0]?.spentUsd).toBeGreaterThan(0);
    await kit.noActiveOrders();
  });
});
