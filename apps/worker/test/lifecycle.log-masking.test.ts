import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { logLayout } from '@clore-batch/shared';
import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnWorker, waitForPoint } from './chaos/chaos-kit';
import { type Kit, startKit } from './support/e2e-kit';

/**
 * The stored log (docs/decisions/0130): secret values masked on the way in, also split across reads
 * and across a worker killed mid-log; LOG_MAX_BYTES keeps the head and the tail with a marker.
 */
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

const SECRETS = { TOKEN: 'abcd', API_KEY: 'sk-live-4f9c2e7d1b', SHORT: 'xyz' };
const MARKER = /\n\[clore-batch: (\d+) bytes of output dropped here \(LOG_MAX_BYTES\)\]\n/;

async function logText(k: Kit, id: string): Promise<string> {
  return (await k.store.readLog(id)).toString();
}

/** Every file of the job under DATA_DIR, with its content. */
async function jobFiles(k: Kit, id: string): Promise<Map<string, Buffer>> {
  const dir = k.store.jobDir(id);
  const files = new Map<string, Buffer>();
  for (const name of await readdir(dir, { recursive: true })) {
    if ((await stat(join(dir, name))).isFile()) {
      files.set(name, await readFile(join(dir, name)));
    }
  }
  return files;
}

/** Every value in Redis under the kit's prefix (strings, hash values, list and set members). */
async function redisValues(k: Kit): Promise<Buffer[]> {
  const values: Buffer[] = [];
  for (const key of await k.redis.keys(`${k.prefix}:*`)) {
    const type = await k.redis.type(key);
    if (type === 'string') {
      values.push((await k.redis.getBuffer(key)) as Buffer);
    } else if (type === 'hash') {
      values.push(...Object.values(await k.redis.hgetallBuffer(key)));
    } else if (type === 'list') {
      values.push(...(await k.redis.lrangeBuffer(key, 0, -1)));
    } else if (type === 'zset') {
      values.push(...(await k.redis.zrangeBuffer(key, '0', '-1')));
    } else if (type === 'set') {
      values.push(...(await k.redis.smembersBuffer(key)));
    }
  }
  return values;
}

describe('secret masking in the stored log', () => {
  it('a command that echoes its secrets, whole and split across reads, never stores them', async () => {
    kit = await startKit(redis.url);
    const command = [
      'echo "token=$TOKEN"',
      "printf 'split ab'; sleep 0.3; printf 'cd done\\n'",
      'echo "key=$API_KEY twice=$API_KEY$API_KEY"',
      "printf 'sk-live-4f9'; sleep 0.3; printf 'c2e7d1b end\\n'",
      'echo "short=$SHORT"',
    ].join('; ');
    const job = await kit.submit({ command }, SECRETS);
    const done = await kit.waitDone(job.id, 60_000);
    expect(done.state).toBe('succeeded');
    const expected = 'token=***\nsplit *** done\nkey=*** twice=***\n*** end\nshort=xyz\n';
    expect(await logText(kit, job.id)).toBe(expected);

    const tail = await kit.redis.getBuffer(`${kit.prefix}:jobstore:job:${job.id}:log-tail`);
    expect(tail?.toString()).toBe(expected);
    for (const [name, content] of await jobFiles(kit, job.id)) {
      for (const secret of [SECRETS.TOKEN, SECRETS.API_KEY]) {
        expect(content.includes(secret), `${name} holds a secret`).toBe(false);
      }
    }
    for (const value of await redisValues(kit)) {
      expect(value.includes(SECRETS.API_KEY)).toBe(false);
    }
    await kit.noActiveOrders();
  }, 90_000);

  it('a worker killed mid-log: the next one goes on from the cursor, no byte twice or lost, still masked', async () => {
    kit = await startKit(redis.url, { noWorker: true });
    const worker = spawnWorker(kit);
    const lines = 120;
    const job = await kit.submit(
      {
        command: `for i in $(seq 1 ${lines}); do printf "line $i ab"; sleep 0.01; printf "cd $API_KEY"; sleep 0.01; echo " ok"; done`,
      },
      SECRETS,
    );
    await waitForPoint(
      kit,
      job.id,
      '30 lines stored',
      async () => (await logText(kit as Kit, job.id)).includes('line 30 '),
      worker,
    );
    await worker.kill();
    const before = await logText(kit, job.id);
    expect(before).not.toContain(`line ${lines} `);

    await kit.startWorker();
    const done = await kit.waitDone(job.id, 60_000);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    const expected = Array.from({ length: lines }, (_, i) => `line ${i + 1} *** *** ok\n`).join('');
    expect(await logText(kit, job.id)).toBe(expected);
    await kit.noActiveOrders(20_000);
  }, 120_000);
});

describe('LOG_MAX_BYTES', () => {
  it('a command printing 1 MiB under a 64 KiB cap: head, marker, tail; the numbers add up', async () => {
    const max = 64 * 1024;
    kit = await startKit(redis.url, { env: { LOG_MAX_BYTES: String(max) } });
    // 131072 lines of 8 bytes: exactly 1 MiB, every line numbered.
    const job = await kit.submit({ command: "seq -f '%07g' 1 131072" });
    const done = await kit.waitDone(job.id, 60_000);
    expect(done.state).toBe('succeeded');
    const full = Array.from({ length: 131072 }, (_, i) => `${String(i + 1).padStart(7, '0')}\n`).join('');
    expect(await kit.store.logSize(job.id)).toBe(1024 * 1024);

    let text = '';
    for (let offset = 0; ; ) {
      const chunk = await kit.store.readLogChunk(job.id, offset, 16 * 1024);
      if (chunk.data.length === 0) {
        break;
      }
      text += chunk.data.toString();
      offset = chunk.offset + chunk.data.length;
    }
    const match = MARKER.exec(text);
    expect(match).not.toBeNull();
    const head = text.slice(0, match?.index);
    const tail = text.slice((match?.index ?? 0) + (match?.[0].length ?? 0));
    const layout = logLayout(max) as NonNullable<ReturnType<typeof logLayout>>;
    expect(head).toBe(full.slice(0, layout.head));
    expect(full.endsWith(tail)).toBe(true);
    expect(head.length + Number(match?.[1]) + tail.length).toBe(full.length);
    expect(tail.length).toBeGreaterThan(layout.tail - layout.segment);

    const files = await jobFiles(kit, job.id);
    const onDisk = [...files.values()].reduce((sum, content) => sum + content.length, 0);
    expect(onDisk).toBeLessThanOrEqual(max);
    expect(files.get('output.log')?.length).toBe(layout.head);
    expect(done.events.filter((e) => e.message?.includes('LOG_MAX_BYTES'))).toHaveLength(1);
    await kit.noActiveOrders();
  }, 90_000);
});
