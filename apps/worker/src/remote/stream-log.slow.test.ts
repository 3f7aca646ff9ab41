import { createHash } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RemoteKit, startRemoteKit } from '../../test/support/remote-kit';
import { streamLog } from './stream-log';

const SIZE = Number(process.env.CB_STREAM_BENCH_MB ?? 1024) * 1024 * 1024;

let kit: RemoteKit;
beforeAll(async () => {
  kit = await startRemoteKit();
});
afterAll(async () => {
  await kit.stop();
});

/** Writes a finished job dir with a SIZE-byte log; returns its sha256. */
async function finishedJob(jobDir: string): Promise<string> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(jobDir, { recursive: true });
  const hash = createHash('sha256');
  const file = await open(join(jobDir, 'output.log'), 'w');
  const block = Buffer.alloc(4 * 1024 * 1024);
  for (let written = 0, i = 0; written < SIZE; written += block.length, i += 1) {
    block.fill(`line ${i} of the benchmark log\n`);
    const part = block.subarray(0, Math.min(block.length, SIZE - written));
    hash.update(part);
    await file.write(part);
  }
  await file.close();
  await writeFile(join(jobDir, 'exit_code'), '0\n');
  return hash.digest('hex');
}

describe('streamLog throughput', () => {
  it(`streams a ${SIZE / 1024 / 1024} MiB log at tens of MB/s`, async () => {
    const jobDir = kit.jobDir();
    const expected = await finishedJob(jobDir);
    const session = await kit.connect();
    try {
      const hash = createHash('sha256');
      const began = process.hrtime.bigint();
      const result = await streamLog(session, {
        jobDir,
        fromOffset: 0,
        onChunk: (_offset, data) => {
          hash.update(data);
        },
      });
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      const mbPerSecond = SIZE / 1e6 / seconds;
      console.warn(`streamLog: ${SIZE} bytes in ${seconds.toFixed(2)} s = ${mbPerSecond.toFixed(1)} MB/s`);
      expect(result.endOffset).toBe(SIZE);
      expect(hash.digest('hex')).toBe(expected);
      expect(mbPerSecond).toBeGreaterThan(20);
    } finally {
      await session.close();
    }
  });
});
