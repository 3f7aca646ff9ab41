import { fleetKeys, type JobRecord, type JobStore, parseJobSpec, toStoredSpec } from '@clore-batch/shared';
import {
  captureOutput,
  type RedisHandle,
  spawnTracked,
  startRedis,
  stopChild,
  waitFor,
} from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LifecycleDeps } from '../src/lifecycle/deps';
import { OwnershipLost } from '../src/lifecycle/ownership';
import { runJob } from '../src/lifecycle/run-job';
import { type Kit, spec, startKit } from './support/e2e-kit';

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

/**
 * A paused process, as Redis and the other workers see it: while closed, every call the paused
 * worker makes to the store or the fleet's releases waits (its lease renewals too, so the lease
 * runs out); once opened, the calls go on as a resumed process's would.
 */
class Pause {
  #closed: { promise: Promise<void>; resolve: () => void } | undefined;
  resumed = false;
  close(): void {
    let resolve = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#closed = { promise, resolve };
  }
  open(): void {
    this.resumed = true;
    this.#closed?.resolve();
    this.#closed = undefined;
  }
  async wait(): Promise<void> {
    await this.#closed?.promise;
  }
}

const WRITES = new Set([
  'transition',
  'update',
  'addInfo',
  'addAttempt',
  'appendLog',
  'attemptReady',
  'attemptLogOffset',
  'attemptSpent',
  'attemptDecided',
  'attemptEnded',
  'requestCancel',
]);
const SYNC = new Set(['fenced', 'follow', 'subscribe', 'logFilePath', 'jobDir', 'close']);

/** The store as the paused worker sees it; `landed` lists its writes that succeeded after the resume. */
function pausedStore(store: JobStore, pause: Pause, landed: string[]): JobStore {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    const fn = value as (...args: unknown[]) => unknown;
    if (name === 'fenced') {
      wrapped[name] = (lease: unknown) => pausedStore(store.fenced(lease as never), pause, landed);
    } else if (SYNC.has(name)) {
      wrapped[name] = fn;
    } else {
      wrapped[name] = async (...args: unknown[]) => {
        await pause.wait();
        const result = await fn(...args);
        if (pause.resumed && WRITES.has(name)) {
          landed.push(name);
        }
        return result;
      };
    }
  }
  return wrapped as unknown as JobStore;
}

function pausedDeps(deps: LifecycleDeps, pause: Pause, landed: string[], cancels: number[]): LifecycleDeps {
  const { releases } = deps.fleet;
  return {
    ...deps,
    store: pausedStore(deps.store, pause, landed),
    fleet: {
      ...deps.fleet,
      releases: {
        request: async (orderId, context) => {
          await pause.wait();
          if (pause.resumed) {
            cancels.push(orderId);
          }
          return releases.request(orderId, context);
        },
        waitEnded: (orderId, signal) => releases.waitEnded(orderId, signal),
      },
    },
  };
}

describe('job ownership (docs/decisions/0120, 0121)', () => {
  it('a paused worker that resumes after another took the job over touches nothing: no write, no cancel, no transition', async () => {
    kit = await startKit(redis.url);
    const k = kit;
    const deps = (k.worker as NonNullable<Kit['worker']>).worker.deps;
    const leaseMs = 1_000;
    // Not queued: the two runs below are the only ones driving the job.
    const { job } = await k.store.create({
      spec: toStoredSpec(
        parseJobSpec(spec({ command: 'echo first; sleep 4; echo second' }), { currency: 'USD-Blockchain' }),
      ),
      owner: 'e2e',
    });
    const leaseKey = `${k.prefix}:jobstore:job:${job.id}:lease`;

    const pause = new Pause();
    const landed: string[] = [];
    const cancels: number[] = [];
    const depsA = pausedDeps({ ...deps, settings: { ...deps.settings, leaseMs } }, pause, landed, cancels);
    const stopA = new AbortController();
    const runA = runJob(depsA, job.id, stopA.signal).then(
      (final) => ({ final }),
      (error: unknown) => ({ error }),
    );
    await waitFor(async () => (await k.store.readLog(job.id)).toString().includes('first\n'), {
      timeoutMs: 30_000,
      message: 'the first worker to start the command',
    });
    const tokenA = await k.redis.get(leaseKey);
    expect(tokenA).not.toBeNull();

    pause.close(); // SIGSTOP
    await waitFor(async () => (await k.redis.exists(leaseKey)) === 0, {
      timeoutMs: 10_000,
      message: "the paused worker's lease to run out",
    });
    const before: JobRecord = await k.store.get(job.id);

    const stopB = new AbortController();
    const runB = runJob({ ...deps, settings: { ...deps.settings, leaseMs } }, job.id, stopB.signal);
    await waitFor(
      async () => {
        const token = await k.redis.get(leaseKey);
        return token !== null && token !== tokenA;
      },
      { timeoutMs: 10_000, message: 'the second worker to take the lease' },
    );
    pause.open(); // SIGCONT

    const a = await runA;
    const done = await runB;
    expect(landed, 'writes of the paused worker that landed after it resumed').toEqual([]);
    expect(cancels, 'cancels the paused worker asked for after it resumed').toEqual([]);
    expect('error' in a && a.error).toBeInstanceOf(OwnershipLost);
    expect(done.state).toBe('succeeded');
    // Every state change after the pause is the second worker's: one attempt, one order, the log once.
    expect(done.attempts).toHaveLength(1);
    expect(done.events.slice(0, before.events.length)).toEqual(before.events);
    expect((await k.store.readLog(job.id)).toString()).toBe('first\nsecond\n');
    await k.noActiveOrders(20_000);
    expect(await k.orders()).toHaveLength(1);
  }, 90_000);

  it('a worker process SIGSTOPped past its lock and lease, then SIGCONTed, leaves the job to the worker that took it over', async () => {
    kit = await startKit(redis.url, { noWorker: true });
    const k = kit;
    const env = Object.entries({ ...k.env, LOG_LEVEL: 'info' }).map(([key, v]) => `${key}=${v}`);
    const child = spawnTracked('env', [...env, process.execPath, '--import', 'tsx', 'src/main.ts'], {
      cwd: new URL('..', import.meta.url).pathname,
    });
    const output = captureOutput(child);
    try {
      const job = await k.submit({ command: 'echo first; sleep 10; echo second' });
      const leaseKey = `${k.prefix}:jobstore:job:${job.id}:lease`;
      try {
        await waitFor(async () => (await k.store.readLog(job.id)).toString().includes('first\n'), {
          timeoutMs: 30_000,
          message: 'the child worker to start the command',
        });
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${output()}`);
      }
      const childToken = await k.redis.get(leaseKey);
      expect(childToken).not.toBeNull();
      process.kill(-(child.pid as number), 'SIGSTOP');
      try {
        await k.startWorker();
        await waitFor(
          async () => {
            const token = await k.redis.get(leaseKey);
            return token !== null && token !== childToken;
          },
          { timeoutMs: 20_000, message: 'the second worker to take the job over' },
        );
      } finally {
        process.kill(-(child.pid as number), 'SIGCONT');
      }
      const resumedAt = output().length;
      const done = await k.waitDone(job.id, 60_000);
      expect(done.state).toBe('succeeded');
      // The order the new owner used was never cancelled under it: one attempt, one order.
      expect(done.attempts).toHaveLength(1);
      expect((await k.store.readLog(job.id)).toString()).toBe('first\nsecond\n');
      await k.noActiveOrders(20_000);
      expect(await k.orders()).toHaveLength(1);
      // The resumed child noticed, and changed no state of the job.
      await waitFor(() => output().slice(resumedAt).includes('lease lost'), {
        timeoutMs: 10_000,
        message: 'the resumed child to notice it lost the lease',
      });
      const after = output().slice(resumedAt);
      expect(after).not.toMatch(/→/);
      expect(after).not.toMatch(/order released|cancelling order/);
    } finally {
      await stopChild(child);
    }
  }, 120_000);

  it('a lease lost while the worker still holds the BullMQ job: the worker takes the job up again and finishes it', async () => {
    kit = await startKit(redis.url);
    const k = kit;
    const job = await k.submit({ command: 'echo first; sleep 2; echo second' });
    await waitFor(async () => (await k.store.readLog(job.id)).toString().includes('first\n'), {
      timeoutMs: 30_000,
    });
    const leaseKey = `${k.prefix}:jobstore:job:${job.id}:lease`;
    const before = await k.redis.get(leaseKey);
    expect(before).not.toBeNull();
    await k.redis.del(leaseKey); // as if Redis had let it lapse
    await waitFor(
      async () => {
        const token = await k.redis.get(leaseKey);
        return token !== null && token !== before;
      },
      { timeoutMs: 10_000, message: 'the worker to take the lease again' },
    );
    const done = await k.waitDone(job.id, 30_000);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    expect((await k.store.readLog(job.id)).toString()).toBe('first\nsecond\n');
    await k.noActiveOrders(20_000);
    expect(await k.orders()).toHaveLength(1);
  }, 60_000);

  it('a worker whose job record vanished mid-run cancels the order it holds (record-lost)', async () => {
    kit = await startKit(redis.url);
    const k = kit;
    const job = await k.submit({ command: 'echo started; sleep 60; echo never' });
    await k.waitFor(job.id, (j) => j.state === 'running' && j.attempts[0]?.orderId !== undefined);
    await waitFor(async () => (await k.store.readLog(job.id)).toString().includes('started\n'), {
      timeoutMs: 20_000,
    });
    expect(await k.activeOrders()).toHaveLength(1);
    // Redis lost the job's data: its record and the fleet's intent for its order.
    await k.redis.del(`${k.prefix}:jobstore:job:${job.id}`, fleetKeys(k.prefix).intents);
    await k.noActiveOrders(20_000);
    const [order] = await k.orders();
    expect(order?.active).toBe(false);
  }, 60_000);

  it('review: Redis rolled back to before the attempt was recorded: the order the worker holds is cancelled, never left billing', async () => {
    kit = await startKit(redis.url);
    const k = kit;
    const key = `${k.prefix}:jobstore:job:`;
    // Every call takes 300 ms: the job stays in provisioning, with no attempt, long enough to copy it.
    await k.setFaults({ latencyMs: [300, 300] });
    const job = await k.submit({ command: 'echo started; sleep 8; echo done' });
    // The "backup": the job's record while it provisions, before any attempt (an RDB taken then).
    const backup = await waitFor(
      async () => {
        const all = await k.redis.hgetall(`${key}${job.id}`);
        const record = all.json === undefined ? undefined : (JSON.parse(all.json) as JobRecord);
        return record?.state === 'provisioning' && record.attempts.length === 0 ? all : undefined;
      },
      { intervalMs: 10, message: 'the record while provisioning' },
    );
    await k.setFaults({});
    await k.waitFor(job.id, (j) => j.state === 'running' && j.attempts[0]?.orderId !== undefined);
    await waitFor(async () => (await k.store.readLog(job.id)).toString().includes('started\n'), {
      timeoutMs: 20_000,
    });
    const [held] = await k.activeOrders();
    expect(held).toBeDefined();
    // Redis restored from that backup: the record has no attempt, the intent of the order is gone.
    await k.redis
      .multi()
      .del(`${key}${job.id}`)
      .hset(`${key}${job.id}`, backup)
      .del(fleetKeys(k.prefix).intents)
      .exec();
    await k.waitDone(job.id, 60_000).catch(() => undefined);
    // Whatever the job does next, the order the worker held must not bill on.
    await waitFor(async () => (await k.orders()).find((o) => o.id === held?.id)?.active === false, {
      timeoutMs: 30_000,
      message: `order ${held?.id} (held when Redis rolled back) cancelled`,
    });
  }, 120_000);

  it('review: Redis lost between bindOrder and addAttempt: the order just made is cancelled, not left foreign', async () => {
    // Redis loses the job's record and the fleet's intents right after the intent was bound to the
    // new order and before the attempt is written: nothing in Redis names the order any more.
    let k: Kit | undefined;
    let lost = false;
    const loseOnFirstAttempt = (store: JobStore): JobStore => {
      const wrap = (inner: JobStore): JobStore =>
        new Proxy(inner, {
          get(target, property, receiver) {
            if (property === 'addAttempt') {
              return async (...args: Parameters<JobStore['addAttempt']>) => {
                if (!lost && k !== undefined && args[1].orderId !== undefined) {
                  lost = true;
                  await k.redis.del(`${k.prefix}:jobstore:job:${args[0]}`, fleetKeys(k.prefix).intents);
                }
                return target.addAttempt(...args);
              };
            }
            if (property === 'fenced') {
              return (...args: Parameters<JobStore['fenced']>) => wrap(target.fenced(...args));
            }
            const value = Reflect.get(target, property, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      return wrap(store);
    };
    kit = await startKit(redis.url, { wrapStore: loseOnFirstAttempt });
    k = kit;
    const job = await k.submit({ command: 'echo never' });
    await waitFor(async () => lost && (await k?.orders())?.length === 1, {
      timeoutMs: 30_000,
      message: 'the order made before Redis lost the job',
    });
    // Not exclusive-key mode: the reaper leaves an order nothing explains; the worker must cancel it.
    await waitFor(async () => (await k?.orders())?.every((o) => !o.active), {
      timeoutMs: 30_000,
      message: `the order of job ${job.id} made before its record vanished cancelled`,
    });
  }, 90_000);
});
