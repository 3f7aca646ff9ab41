import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type RedisHandle, startRedis, waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, startKit } from './support/e2e-kit';
import { freezeSshSessions, thawAll } from './support/freeze-sshd';

let redis: RedisHandle;
let kit: Kit | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  redis = await startRedis({ private: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  thawAll();
  await kit?.close();
  kit = undefined;
  for (const dir of dirs.splice(0)) {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('a stop during the output download (budget, cancel, unverified spend)', () => {
  it('a cancel while the outputs download over a stalled link ends the order at once, not after the download', async () => {
    kit = await startKit(redis.url);
    const dir = `/tmp/cb-e2e-out-${randomUUID()}`;
    dirs.push(dir);
    // A sparse 1 GiB file: read fast on the server, written here block by block.
    const job = await kit.submit({
      command: `mkdir -p ${dir} && truncate -s 1G ${dir}/big.bin`,
      outputs: [`${dir}/big.bin`],
    });
    const local = join(kit.store.outputsDir(job.id), dir, 'big.bin');
    await waitFor(async () => ((await stat(local).catch(() => undefined))?.size ?? 0) > 0, {
      timeoutMs: 30_000,
      intervalMs: 10,
      message: 'the output download to start',
    });
    const running = await kit.store.get(job.id);
    const port = running.attempts[0]?.sshPort as number;
    expect(freezeSshSessions(port).length).toBeGreaterThan(0);
    // The download is stalled (the server's session frozen, its TCP still open): the user cancels.
    await kit.store.requestCancel(job.id);
    // The order must end now: before the fix, the collect ignored the cancel until SSH keepalive
    // gave up on the link (3 × 5 s), billing all the while (or the whole download on a slow link).
    await waitFor(async () => (await kit?.activeOrders())?.length === 0, {
      timeoutMs: 10_000,
      message: 'the order to end while the download is stalled',
    });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('cancelled');
    expect(done.attempts[0]?.endReason).toBe('cancelled');
  });
});
