import { randomUUID } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, startKit } from './support/e2e-kit';

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
  await kit?.close();
  kit = undefined;
  for (const dir of dirs.splice(0)) {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A unique directory on the "server" (this host) for one job's outputs. */
function outDir(): string {
  const dir = `/tmp/cb-e2e-out-${randomUUID()}`;
  dirs.push(dir);
  return dir;
}

const infos = (events: { type: string; message: string }[]) =>
  events.filter((e) => e.type === 'info').map((e) => e.message);

describe('outputs: missing, required, over the cap (issue 16)', () => {
  it('a missing output is reported (an event and outputsMissing); the job still succeeds without outputsRequired', async () => {
    kit = await startKit(redis.url);
    const dir = outDir();
    const job = await kit.submit({
      command: `mkdir -p ${dir} && echo here > ${dir}/here.txt`,
      outputs: [`${dir}/here.txt`, `${dir}/gone.txt`, `${dir}/nodir`],
    });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.outputs).toEqual([{ path: `${dir}/here.txt`, size: 5 }]);
    expect(done.outputsMissing).toEqual([`${dir}/gone.txt`, `${dir}/nodir`]);
    expect(infos(done.events)).toEqual(
      expect.arrayContaining([
        `output not found on the server: ${dir}/gone.txt`,
        `output not found on the server: ${dir}/nodir`,
      ]),
    );
    await kit.noActiveOrders();
  });

  it('outputsRequired: a missing output after exit 0 fails the job outputs_missing, not retried, files kept, order ended', async () => {
    kit = await startKit(redis.url);
    const dir = outDir();
    const job = await kit.submit({
      command: `mkdir -p ${dir} && echo kept > ${dir}/kept.txt`,
      outputs: [`${dir}/kept.txt`, `${dir}/model.pt`],
      outputsRequired: true,
      maxAttempts: 3,
    });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('outputs_missing');
    expect(done.exitCode).toBe(0);
    expect(done.message).toContain(`${dir}/model.pt`);
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]?.endReason).toBe('outputs_missing');
    expect(done.outputs).toEqual([{ path: `${dir}/kept.txt`, size: 5 }]);
    expect(done.outputsMissing).toEqual([`${dir}/model.pt`]);
    expect(await readFile(join(kit.store.outputsDir(job.id), dir, 'kept.txt'), 'utf8')).toBe('kept\n');
    await kit.noActiveOrders();
    expect((await kit.orders()).map((o) => o.endReason)).toEqual(['cancelled']);
  });

  it('outputsRequired does not turn a failing command into outputs_missing: command_failed with its code', async () => {
    kit = await startKit(redis.url);
    const dir = outDir();
    const job = await kit.submit({
      command: 'exit 3',
      outputs: [`${dir}/never.txt`],
      outputsRequired: true,
    });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('command_failed');
    expect(done.exitCode).toBe(3);
    expect(done.outputsMissing).toEqual([`${dir}/never.txt`]);
    await kit.noActiveOrders();
  });

  it('outputs over OUTPUTS_MAX_BYTES fail the job outputs_too_large: the files that fit kept, the bytes over named, order ended', async () => {
    kit = await startKit(redis.url, { env: { OUTPUTS_MAX_BYTES: '1024' } });
    const dir = outDir();
    const job = await kit.submit({
      command: `mkdir -p ${dir} && echo small > ${dir}/a.txt && head -c 5000 /dev/zero > ${dir}/big.bin && echo wrote`,
      outputs: [dir],
      maxAttempts: 3,
    });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('outputs_too_large');
    expect(done.exitCode).toBe(0);
    // 5000 + 6 bytes listed, 1024 allowed: 3982 over; big.bin left on the server.
    const over = `outputs are 5006 bytes, 3982 bytes over the cap of 1024 (OUTPUTS_MAX_BYTES): ${dir}/big.bin not downloaded; 1 file that fit kept`;
    expect(infos(done.events)).toContain(over);
    expect(done.message).toContain(over);
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]?.endReason).toBe('outputs_too_large');
    expect(done.outputs).toEqual([{ path: `${dir}/a.txt`, size: 6 }]);
    const local = kit.store.outputsDir(job.id);
    expect(await readFile(join(local, dir, 'a.txt'), 'utf8')).toBe('small\n');
    await expect(stat(join(local, dir, 'big.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
    await kit.noActiveOrders();
    expect((await kit.orders()).map((o) => o.endReason)).toEqual(['cancelled']);
  });
});
