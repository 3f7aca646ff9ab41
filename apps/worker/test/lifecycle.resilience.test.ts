import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { captureOutput, type RedisHandle, spawnTracked, startRedis, waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, simCall, startKit } from './support/e2e-kit';

const run = promisify(execFile);

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

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');
const printLines = (n: number, pause: string) =>
  `for i in $(seq 1 ${n}); do echo "line $i"; sleep ${pause}; done`;

/** Drop every SSH connection of an order without stopping its sshd (a network failure). */
async function dropConnections(k: Kit, orderId: number): Promise<number> {
  const host = k.sim.sim.orders.get(orderId)?.host as unknown as { sshd?: { pid?: number } } | undefined;
  const pid = host?.sshd?.pid;
  if (pid === undefined) {
    throw new Error(`order ${orderId} has no sshd`);
  }
  const { stdout } = await run('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }));
  const children = stdout.split('\n').filter(Boolean).map(Number);
  for (const child of children) {
    process.kill(child, 'SIGKILL');
  }
  return children.length;
}

async function logText(k: Kit, id: string): Promise<string> {
  return (await k.store.readLog(id)).toString();
}

describe('resilience', () => {
  it('an SSH drop mid-run loses no output (reconnect and resume from the offset)', async () => {
    kit = await startKit(redis.url);
    const job = await kit.submit({ command: printLines(150, '0.02') });
    const running = await kit.waitFor(job.id, (j) => j.state === 'running');
    const orderId = running.attempts[0]?.orderId as number;
    await waitFor(async () => (await logText(kit as Kit, job.id)).includes('line 20\n'), {
      timeoutMs: 20_000,
    });
    expect(await dropConnections(kit, orderId)).toBeGreaterThan(0);
    await waitFor(async () => (await logText(kit as Kit, job.id)).includes('line 80\n'), {
      timeoutMs: 20_000,
    });
    expect(await dropConnections(kit, orderId)).toBeGreaterThan(0);
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    expect(await logText(kit, job.id)).toBe(lines(150));
    expect(done.attempts).toHaveLength(1);
    await kit.noActiveOrders();
  });

  it('SIGKILL of the worker process mid-run: a second worker finishes the job and releases the order', async () => {
    kit = await startKit(redis.url, { noWorker: true });
    const env = Object.entries({ ...kit.env, LOG_LEVEL: 'info' }).map(([k, v]) => `${k}=${v}`);
    const child = spawnTracked('env', [...env, process.execPath, '--import', 'tsx', 'src/main.ts'], {
      cwd: new URL('..', import.meta.url).pathname,
    });
    const output = captureOutput(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const job = await kit.submit({ command: `echo first; sleep 3; ${printLines(20, '0.05')}` });
    try {
      await waitFor(async () => (await logText(kit as Kit, job.id)).includes('first\n'), {
        timeoutMs: 30_000,
        message: 'the child worker to start the command',
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${output()}`);
    }
    process.kill(-(child.pid as number), 'SIGKILL');
    await exited;
    const before = await kit.store.get(job.id);
    expect(before.state).toBe('running');

    await kit.startWorker();
    const done = await kit.waitDone(job.id, 60_000);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    // The command was not started twice: one "first", then every line once.
    expect(await logText(kit, job.id)).toBe(`first\n${lines(20)}`);
    await kit.noActiveOrders(20_000);
    expect(await kit.orders()).toHaveLength(1);
  }, 90_000);

  it('SIGTERM: the worker stops taking jobs and exits; the command keeps running and the next worker finishes it', async () => {
    kit = await startKit(redis.url, { noWorker: true });
    const env = Object.entries({ ...kit.env, LOG_LEVEL: 'info' }).map(([k, v]) => `${k}=${v}`);
    const child = spawnTracked('env', [...env, process.execPath, '--import', 'tsx', 'src/main.ts'], {
      cwd: new URL('..', import.meta.url).pathname,
    });
    const output = captureOutput(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const job = await kit.submit({ command: `echo first; sleep 4; ${printLines(10, '0.05')}` });
    try {
      await waitFor(async () => (await logText(kit as Kit, job.id)).includes('first\n'), {
        timeoutMs: 30_000,
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${output()}`);
    }
    const stopAt = Date.now();
    process.kill(child.pid as number, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(5_000);
    // Left as it was: the job still running, its order active.
    expect((await kit.store.get(job.id)).state).toBe('running');
    expect(await kit.activeOrders()).toHaveLength(1);

    await kit.startWorker();
    const done = await kit.waitDone(job.id, 60_000);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    expect(await logText(kit, job.id)).toBe(`first\n${lines(10)}`);
    await kit.noActiveOrders(20_000);
    expect(await kit.orders()).toHaveLength(1);
  }, 90_000);

  it('provisioning failures before any attempt count in the record: a restarted worker does not start over', async () => {
    // Every listing is stale (older than 1 ms): each provisioning try fails `provider_error` at its
    // deadline without an order, so no attempt is ever recorded (docs/decisions/0128).
    kit = await startKit(redis.url, { settings: { marketplaceMaxAgeMs: 1, provisionTimeoutMs: 3_000 } });
    const k = kit;
    const job = await k.submit({ command: 'echo never', maxAttempts: 2 });
    await k.waitFor(job.id, (j) => j.provisionFailures === 1, 20_000);
    // The first worker leaves (as a restart would) before its second try ends; the next one resumes.
    await k.worker?.close();
    await k.startWorker();
    const done = await k.waitDone(job.id, 30_000);
    expect(done).toMatchObject({ state: 'failed', reason: 'provider_error', provisionFailures: 1 });
    expect(done.attempts).toEqual([]);
    const retried = done.events.filter((e) => e.message.startsWith('provisioning failed'));
    expect(retried).toHaveLength(1);
    expect(await k.orders()).toEqual([]);
  });

  it('a spot order outbid mid-run is re-run on another server', async () => {
    kit = await startKit(redis.url);
    const job = await kit.submit({ orderType: 'spot', command: 'echo run; sleep 2; echo finished' });
    const running = await kit.waitFor(job.id, (j) => j.state === 'running');
    await waitFor(async () => (await logText(kit as Kit, job.id)).includes('run\n'), { timeoutMs: 20_000 });
    const first = running.attempts[0];
    const response = await fetch(`${kit.sim.url}/_sim/orders/${first?.orderId}/outbid`, { method: 'POST' });
    expect(response.status).toBeLessThan(300);
    const done = await kit.waitDone(job.id, 40_000);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(2);
    expect(done.attempts[0]?.endReason).toBe('preempted');
    expect(done.attempts[1]?.serverId).not.toBe(first?.serverId);
    expect(await logText(kit, job.id)).toBe('run\nrun\nfinished\n');
    await kit.noActiveOrders();
    const orders = await kit.orders();
    expect(orders.map((o) => o.endReason).sort()).toEqual(['cancelled', 'outbid']);
  });

  it('the reaper cancels an orphan that matches an intent and leaves a foreign order alone', async () => {
    kit = await startKit(redis.url);
    const worker = kit.worker;
    if (worker === undefined) {
      throw new Error('no worker');
    }
    const market = await worker.fleet.marketplace.get();
    const free = market.servers.filter(
      (s) => !s.rented && s.online !== false && s.allowedCurrencies.includes('USD-Blockchain'),
    );
    const create = (serverId: number) =>
      simCall(kit as Kit, 'create_order', {
        renting_server: serverId,
        type: 'on-demand',
        currency: 'USD-Blockchain',
        image: 'ubuntu',
      });
    // An orphan: an intent of a job that no longer exists (a worker died right after create_order).
    let orphanServer: number | undefined;
    let foreignServer: number | undefined;
    for (const server of free) {
      if (orphanServer === undefined) {
        await worker.fleet.intents.record({
          jobId: 'job_01JAAAAAAAAAAAAAAAAAAAAAAA',
          attempt: 1,
          serverId: server.id,
          at: Date.now(),
        });
        if ((await create(server.id)).code === 0) {
          orphanServer = server.id;
        } else {
          await worker.fleet.intents.remove('job_01JAAAAAAAAAAAAAAAAAAAAAAA', 1);
        }
      } else if ((await create(server.id)).code === 0) {
        foreignServer = server.id;
        break;
      }
    }
    expect(orphanServer).toBeDefined();
    expect(foreignServer).toBeDefined();
    await waitFor(
      async () => {
        const orders = await kit?.orders();
        return orders?.find((o) => o.serverId === orphanServer)?.active === false;
      },
      { timeoutMs: 20_000, message: 'the reaper to cancel the orphan' },
    );
    const active = await kit.activeOrders();
    expect(active.map((o) => o.serverId)).toEqual([foreignServer]);
    // Leave no rental behind: cancel the foreign order ourselves.
    expect((await simCall(kit, 'cancel_order', { id: active[0]?.id })).code).toBe(0);
    await kit.noActiveOrders();
  });
});
