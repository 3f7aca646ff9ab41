/**
 * Helpers of the chaos suite: worker OS processes to SIGKILL, and the invariants checked after
 * every case (docs/benchmarks.md "Chaos suite").
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fleetKeys, isTerminal, type JobRecord, type JobSpecInput } from '@clore-batch/shared';
import { captureOutput, spawnTracked, stopChild, trackRedis, waitFor } from '@clore-batch/testing';
import { expect } from 'vitest';
import type { Kit, SimOrder } from '../support/e2e-kit';

const WORKER_DIR = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/**
 * The e2e kit's scaled timings, for a worker process, except `orderLookupMs`: production looks for a
 * lost create's order for max(10 × poll, 5 s) = 30 s, twice the 15 s leader lease; the kit's 3 s is
 * only 1.5 × its 2 s lease, and on this loaded machine a restarted worker once missed its order in
 * 3 s and rented a second one for the same attempt (the stray was reaped; docs/benchmarks.md "Chaos
 * suite"). 6 s keeps production's margin over a leader handover plus a process start.
 */
export const CHAOS_OVERRIDES = {
  settings: {
    sshRetryMs: { initial: 100, max: 500 },
    logPollMs: 50,
    reconnectWindowMs: 20_000,
    orderLookupMs: 6_000,
    releaseConfirmMs: 3_000,
    cancelPollMs: 250,
  },
  fleetSettings: { leaderTtlMs: 2_000, cancelConfirmMs: 1_000, cancelRetryBaseMs: 200 },
};

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
  /** SIGKILL the process group and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop) and wait. */
  stop(): Promise<void>;
}

export function spawnWorker(kit: Kit, extraEnv: Record<string, string> = {}): WorkerProcess {
  const env = Object.entries({ ...kit.env, ...extraEnv }).map(([k, v]) => `${k}=${v}`);
  const child = spawnTracked(
    'env',
    [...env, process.execPath, '--import', 'tsx', ENTRY, JSON.stringify(CHAOS_OVERRIDES)],
    { cwd: WORKER_DIR },
  );
  const output = captureOutput(child, 64_000);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
    } else {
      child.once('exit', () => resolve());
    }
  });
  return {
    child,
    output,
    exited,
    async kill() {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    },
    stop: () => stopChild(child, 10_000),
  };
}

/** Poll the job until `test` holds (fast: lifecycle points last a few hundred ms). */
export async function waitForPoint(
  kit: Kit,
  id: string,
  what: string,
  test: (job: JobRecord) => boolean | Promise<boolean>,
  worker?: WorkerProcess,
  timeoutMs = 30_000,
): Promise<JobRecord> {
  try {
    return await waitFor(
      async () => {
        const job = await kit.store.get(id);
        return (await test(job)) ? job : undefined;
      },
      { timeoutMs, intervalMs: 15, message: `job ${id} to reach ${what}` },
    );
  } catch (error) {
    const job = await kit.store.get(id);
    throw new Error(
      `${(error as Error).message}; job is ${job.state}, attempts ${JSON.stringify(job.attempts)}\n${worker?.output() ?? ''}`,
    );
  }
}

export interface InvariantReport {
  jobs: number;
  succeeded: number;
  states: Record<string, number>;
  attempts: number;
  orders: number;
  leakedOrders: number;
}

/**
 * After a case: every job terminal; zero active orders once the reaper's grace has passed (every
 * job is terminal, so no order belongs to a live job); every order made since `sinceMs` is the
 * order of exactly one attempt, and no attempt has two.
 */
export async function checkInvariants(
  kit: Kit,
  ids: readonly string[],
  sinceMs: number,
  timeoutMs = 60_000,
  worker?: WorkerProcess,
): Promise<InvariantReport> {
  const jobs = await Promise.all(
    ids.map((id) =>
      kit
        .waitFor(id, (j) => isTerminal(j.state), timeoutMs)
        .catch(async (error: Error) => {
          const job = await kit.store.get(id);
          const orders = await kit.orders();
          throw new Error(
            `${error.message}: job ${job.state}, attempts ${JSON.stringify(job.attempts)}, events ${JSON.stringify(job.events.slice(-6))}, sim orders ${JSON.stringify(orders)}\n${worker?.output() ?? ''}`,
          );
        }),
    ),
  );
  await kit.noActiveOrders(20_000);
  const orders: SimOrder[] = (await kit.orders()).filter(
    (o) => (o as SimOrder & { createdAt: number }).createdAt >= sinceMs,
  );
  const attemptOrders = jobs.flatMap((j) => j.attempts.map((a) => a.orderId)).filter((o) => o !== undefined);
  // Never two orders for one attempt: every order made is bound to exactly one attempt.
  const why = `orders ${JSON.stringify(orders)}; attempts ${JSON.stringify(jobs.map((j) => j.attempts))}; events ${JSON.stringify(jobs.map((j) => j.events.filter((e) => e.type === 'info').map((e) => e.message)))}\n${worker?.output().slice(-20_000) ?? ''}`;
  expect(new Set(attemptOrders).size, why).toBe(attemptOrders.length);
  expect(
    orders.map((o) => o.id).sort((a, b) => a - b),
    why,
  ).toEqual([...attemptOrders].sort((a, b) => a - b));
  const states: Record<string, number> = {};
  for (const job of jobs) {
    states[job.state] = (states[job.state] ?? 0) + 1;
  }
  return {
    jobs: jobs.length,
    succeeded: jobs.filter((j) => j.state === 'succeeded').length,
    states,
    attempts: jobs.reduce((n, j) => n + j.attempts.length, 0),
    orders: orders.length,
    leakedOrders: (await kit.activeOrders()).length,
  };
}

/** `line 1\n` … `line n\n`: the known sequence a chaos command prints. */
export const lines = (n: number): string => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');
export const printLines = (n: number, pause: string): string =>
  `for i in $(seq 1 ${n}); do echo "line $i"; sleep ${pause}; done`;

export function report(name: string, data: unknown): void {
  process.stdout.write(`CHAOS ${name} ${JSON.stringify(data)}\n`);
}

/** A simulator order as `/_sim/orders` shows it, with the fields the money checks read. */
interface SimOrderFull extends SimOrder {
  currency: string;
  /** Per day, in `currency`. */
  price: number;
  createdAt: number;
  endedAt?: number;
}

async function simJson<T>(kit: Kit, path: string): Promise<T> {
  const response = await fetch(`${kit.sim.url}${path}`);
  if (!response.ok) {
    throw new Error(`GET ${path}: ${response.status}`);
  }
  return (await response.json()) as T;
}

export async function simOrders(kit: Kit, sinceMs = 0): Promise<SimOrderFull[]> {
  return (await simJson<{ orders: SimOrderFull[] }>(kit, '/_sim/orders')).orders.filter(
    (o) => o.createdAt >= sinceMs,
  );
}

export interface LiveOrdersReport {
  /** Samples of `/_sim/orders` taken. */
  samples: number;
  /** The most active orders seen at one moment for one job (the invariant: at most 1). */
  maxLivePerJob: number;
  /** The job and the order ids of that moment. */
  worst?: { jobId: string; orderIds: number[] };
  /** The most active orders of the case at one moment, whatever job. */
  maxLive: number;
  /** Active orders no intent, attempt or single job explained (each counted once). */
  unattributed: number[];
}

export interface LiveOrdersSampler {
  /** Stop sampling; map every order seen to its job (intents seen, then the jobs' attempts). */
  stop(jobIds: readonly string[]): Promise<LiveOrdersReport>;
}

/**
 * Samples the simulator's orders every `intervalMs` while a case runs, to check "never two live
 * orders for one job" at every moment, not only at the end. An order maps to its job through the
 * fleet's intents as seen at the time (bound ones by order id, an unbound one by its server: a lost
 * create's order), then through the jobs' attempts; with one job, every order of the case is its.
 * Foreign orders are not in `/_sim/orders`. Redis may refuse or lose data meanwhile (the cases do
 * that): a failed read of the intents is skipped, what was seen before is kept.
 */
export function sampleLiveOrders(kit: Kit, sinceMs: number, intervalMs = 100): LiveOrdersSampler {
  const intentsKey = fleetKeys(kit.prefix).intents;
  const byOrder = new Map<number, string>();
  const ticks: number[][] = [];
  let stopped = false;
  const tick = async () => {
    const [orders, intents] = await Promise.all([
      simOrders(kit, sinceMs).catch(() => undefined),
      kit.redis.hgetall(intentsKey).catch(() => undefined),
    ]);
    const unboundByServer = new Map<number, Set<string>>();
    for (const raw of Object.values(intents ?? {})) {
      try {
        const intent = JSON.parse(raw) as { jobId: string; serverId: number; orderId?: number };
        if (intent.orderId !== undefined) {
          byOrder.set(intent.orderId, intent.jobId);
        } else {
          const jobs = unboundByServer.get(intent.serverId) ?? new Set<string>();
          jobs.add(intent.jobId);
          unboundByServer.set(intent.serverId, jobs);
        }
      } catch {
        // not an intent
      }
    }
    if (orders === undefined) {
      return;
    }
    const live = orders.filter((o) => o.active);
    for (const order of live) {
      const jobs = unboundByServer.get(order.serverId);
      if (!byOrder.has(order.id) && jobs?.size === 1) {
        byOrder.set(order.id, [...jobs][0] as string);
      }
    }
    ticks.push(live.map((o) => o.id));
  };
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      await tick();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - started))));
    }
  })();
  return {
    async stop(jobIds) {
      stopped = true;
      await loop;
      for (const id of jobIds) {
        const job = await kit.store.get(id).catch(() => undefined);
        for (const attempt of job?.attempts ?? []) {
          if (attempt.orderId !== undefined) {
            byOrder.set(attempt.orderId, id);
          }
        }
      }
      const unattributed = new Set<number>();
      let maxLivePerJob = 0;
      let maxLive = 0;
      let worst: LiveOrdersReport['worst'];
      for (const live of ticks) {
        maxLive = Math.max(maxLive, live.length);
        const perJob = new Map<string, number[]>();
        for (const id of live) {
          const jobId = byOrder.get(id) ?? (jobIds.length === 1 ? jobIds[0] : undefined);
          if (jobId === undefined) {
            unattributed.add(id);
            continue;
          }
          perJob.set(jobId, [...(perJob.get(jobId) ?? []), id]);
        }
        for (const [jobId, ids] of perJob) {
          if (ids.length > maxLivePerJob) {
            maxLivePerJob = ids.length;
            worst = { jobId, orderIds: ids };
          }
        }
      }
      return {
        samples: ticks.length,
        maxLivePerJob,
        ...(worst === undefined ? {} : { worst }),
        maxLive,
        unattributed: [...unattributed],
      };
    },
  };
}

export interface BillReport {
  /** spend + creation fee of every order made since `sinceMs`, in USD at the simulator's rates. */
  billedUsd: number;
  /** The highest booked price of those orders, USD per hour. */
  maxHourlyUsd: number;
  /** budget + one check interval of that hourly price. */
  boundUsd: number;
}

/**
 * The budget invariant: what the simulator billed for the case's orders (spend + creation fee,
 * converted with `/_sim/marketplace` `rates`; prices are per day) is at most the budget plus one
 * check interval of the hourly price. `checkIntervalSimHours`: the background my_orders cadence in
 * sim hours (real ms × clock speed / 3 600 000).
 */
export async function checkBill(
  kit: Kit,
  sinceMs: number,
  budgetUsd: number,
  checkIntervalSimHours: number,
): Promise<BillReport> {
  const bill = await billOf(kit, sinceMs, budgetUsd, checkIntervalSimHours);
  expect(bill.billedUsd, `orders ${JSON.stringify(await simOrders(kit, sinceMs))}`).toBeLessThanOrEqual(
    bill.boundUsd,
  );
  return bill;
}

/** What `checkBill` checks, without the check (to report the figures first). */
export async function billOf(
  kit: Kit,
  sinceMs: number,
  budgetUsd: number,
  checkIntervalSimHours: number,
): Promise<BillReport> {
  const { rates } = await simJson<{ rates: Record<string, number> }>(kit, '/_sim/marketplace');
  const orders = await simOrders(kit, sinceMs);
  const rate = (currency: string) => {
    const r = rates[currency];
    if (r === undefined) {
      throw new Error(`no rate for ${currency}`);
    }
    return r;
  };
  const billedUsd = orders.reduce((sum, o) => sum + (o.spend + o.creationFee) * rate(o.currency), 0);
  const maxHourlyUsd = Math.max(0, ...orders.map((o) => (o.price / 24) * rate(o.currency)));
  return { billedUsd, maxHourlyUsd, boundUsd: budgetUsd + maxHourlyUsd * checkIntervalSimHours };
}

/** Foreign orders (`/_sim/foreign-orders`) a cancel reached: must stay 0 in the default mode. */
export async function foreignCancelled(kit: Kit): Promise<number> {
  const { orders } = await simJson<{ orders: { id: number; cancelledAtSim?: number }[] }>(
    kit,
    '/_sim/foreign-orders',
  );
  return orders.filter((o) => o.cancelledAtSim !== undefined).length;
}

/** Add another tool's order(s) to the key's my_orders answers (`POST /_sim/keys/:key/foreign-orders`). */
export async function addForeignOrders(kit: Kit, key: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${kit.sim.url}/_sim/keys/${key}/foreign-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`POST foreign-orders: ${response.status} ${await response.text()}`);
  }
}

/** POST a `/_sim/...` control route with a JSON body. */
export async function simPost(kit: Kit, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${kit.sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  }
  return response.json();
}

/**
 * The money invariants of a case whose job records survive: `checkInvariants` (every job terminal,
 * 0 leaked orders, one order per attempt), never two live orders for one job at any sampled moment,
 * every live order explained by a job, and no foreign order cancelled (default mode).
 */
export async function checkMoneyInvariants(
  kit: Kit,
  ids: readonly string[],
  sinceMs: number,
  sampler: LiveOrdersSampler,
  worker?: WorkerProcess,
): Promise<InvariantReport & { maxLivePerJob: number; samples: number }> {
  const invariants = await checkInvariants(kit, ids, sinceMs, 90_000, worker);
  const live = await sampler.stop(ids);
  expect(live.unattributed, 'active orders no job explains').toEqual([]);
  expect(
    live.maxLivePerJob,
    `two live orders for one job: ${JSON.stringify(live.worst)}`,
  ).toBeLessThanOrEqual(1);
  expect(live.samples).toBeGreaterThan(3);
  expect(invariants.leakedOrders).toBe(0);
  expect(await foreignCancelled(kit)).toBe(0);
  return { ...invariants, maxLivePerJob: live.maxLivePerJob, samples: live.samples };
}

/**
 * Redis refuses every write ("OOM command not allowed when used memory > 'maxmemory'": `maxmemory`
 * 1 byte, `noeviction`) for `forMs`, from the moment the leader publishes its next orders snapshot
 * (so a watch that reads it has its write refused). Reads keep working. Restores the settings
 * whatever happens; returns how long writes were refused (0 if no snapshot came in `waitMs`).
 */
export async function refuseWritesAfterNextSnapshot(
  kit: Kit,
  forMs: number,
  waitMs = 5_000,
): Promise<number> {
  const policy = ((await kit.redis.config('GET', 'maxmemory-policy')) as string[])[1] ?? 'noeviction';
  const subscriber = trackRedis(kit.redis.duplicate());
  let refusedAt = 0;
  try {
    await kit.redis.config('SET', 'maxmemory-policy', 'noeviction');
    await subscriber.subscribe(fleetKeys(kit.prefix).ordersChanged);
    subscriber.once('message', () => {
      refusedAt = Date.now();
      void kit.redis.config('SET', 'maxmemory', '1');
    });
    await waitFor(() => refusedAt > 0 && Date.now() - refusedAt >= forMs, {
      timeoutMs: waitMs + forMs,
      intervalMs: 20,
    }).catch(() => {});
  } finally {
    await kit.redis.config('SET', 'maxmemory', '0');
    await kit.redis.config('SET', 'maxmemory-policy', policy);
    await subscriber.quit();
  }
  return refusedAt === 0 ? 0 : Date.now() - refusedAt;
}

/** A money case: live orders sampled from `since` on, its jobs submitted after that. */
export interface MoneyCase {
  since: number;
  sampler: LiveOrdersSampler;
  jobs: JobRecord[];
  /** The first (or only) job. */
  job: JobRecord;
  /** `checkMoneyInvariants` over the case's jobs (stops the sampler). */
  check(worker?: WorkerProcess): ReturnType<typeof checkMoneyInvariants>;
}

/** Start sampling live orders, then submit `specs` in order. */
export async function startMoneyCase(kit: Kit, specs: readonly Partial<JobSpecInput>[]): Promise<MoneyCase> {
  const since = Date.now();
  const sampler = sampleLiveOrders(kit, since);
  const jobs: JobRecord[] = [];
  for (const spec of specs) {
    jobs.push(await kit.submit(spec));
  }
  const [job] = jobs;
  if (job === undefined) {
    throw new Error('a money case needs a job');
  }
  return {
    since,
    sampler,
    jobs,
    job,
    check: (worker) =>
      checkMoneyInvariants(
        kit,
        jobs.map((j) => j.id),
        since,
        sampler,
        worker,
      ),
  };
}

/** The sim clock of the budgeted cases: 1 real second bills 10 sim minutes. */
export const BUDGET_CLOCK_SPEED = 600;
/**
 * The background my_orders cadence (ORDER_IDLE_POLL_INTERVAL_MS unset: 5 x the 200 ms poll), in sim
 * hours at that clock: the "one check interval" of the billed-within-budget invariant.
 */
export const CHECK_INTERVAL_SIM_HOURS = (1_000 * BUDGET_CLOCK_SPEED) / 3_600_000;

/** A job that spends until its budget ($0.5, at most $1/h) stops it. */
export const BUDGETED_JOB = {
  command: 'echo spending; sleep 120',
  budgetUsd: 0.5,
  maxPricePerHourUsd: 1,
  timeoutSeconds: 300,
} as const;

/** Every job of the case succeeded, on its one attempt. */
export async function expectSucceededOnce(kit: Kit, jobs: readonly JobRecord[]): Promise<void> {
  for (const job of jobs) {
    const done = await kit.store.get(job.id);
    expect(done.state, done.message).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
  }
}
