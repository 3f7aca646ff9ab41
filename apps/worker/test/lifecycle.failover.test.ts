import {
  deriveSecretKey,
  fleetKeys,
  parseJobSpec,
  sealJson,
  selectServers,
  silentLogger,
  toStoredSpec,
} from '@clore-batch/shared';
import { type RedisHandle, startRedis, waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIntents } from '../src/fleet/intents';
import { generateJobKeyPair } from '../src/remote/job-key-pair';
import { type Kit, SECRETS_KEY, simCall, spec, startKit } from './support/e2e-kit';

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

/** The servers the worker would try for the default spec, cheapest first (from the fleet's snapshot). */
async function ranking(k: Kit): Promise<number[]> {
  const market = await k.worker?.fleet.marketplace.get();
  if (market === undefined) {
    throw new Error('no worker');
  }
  const stored = toStoredSpec(parseJobSpec(spec(), { currency: 'USD-Blockchain' }));
  return selectServers(market.servers, stored, { usdRates: market.usdRates }).candidates.map(
    (c) => c.server.id,
  );
}

describe('failover between servers', () => {
  it('server-already-rented and server-offline lead to the next server', async () => {
    // A marketplace snapshot that stays stale, so the worker does try the two servers.
    kit = await startKit(redis.url, { env: { MARKETPLACE_REFRESH_MS: '60000' } });
    const [first, second] = await ranking(kit);
    kit.sim.rentServer(first as number, true);
    kit.sim.setServerOnline(second as number, false);
    const job = await kit.submit({});
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    const used = done.attempts[0]?.serverId;
    expect([first, second]).not.toContain(used);
    const notes = done.events.filter((e) => e.type === 'info').map((e) => e.message);
    expect(notes).toContainEqual(
      expect.stringContaining(`server ${first} refused the order (server-already-rented)`),
    );
    expect(notes).toContainEqual(
      expect.stringContaining(`server ${second} refused the order (server-offline)`),
    );
    await kit.noActiveOrders();
    // Refused creates made no order; the one order is the job's (some seeded hosts are offline too).
    expect((await kit.orders()).map((o) => o.serverId)).toEqual([used]);
  });

  it('a server that refused an order is skipped by the jobs after it too', async () => {
    kit = await startKit(redis.url, { env: { MARKETPLACE_REFRESH_MS: '60000' } });
    const [first] = await ranking(kit);
    kit.sim.setServerOnline(first as number, false);
    const refusedBy = (job: { events: { type: string; message: string }[] }) =>
      job.events.some((e) => e.type === 'info' && e.message.includes(`server ${first} refused`));
    const a = await kit.waitDone((await kit.submit({})).id);
    expect(a.state).toBe('succeeded');
    expect(refusedBy(a)).toBe(true);
    const b = await kit.waitDone((await kit.submit({})).id);
    expect(b.state).toBe('succeeded');
    expect(refusedBy(b)).toBe(false);
    expect(b.attempts[0]?.serverId).not.toBe(first);
    await kit.noActiveOrders();
  });

  it('a server that never comes up is released after the deadline and the next one is tried', async () => {
    kit = await startKit(redis.url, { env: { PROVISION_TIMEOUT_SECONDS: '2' } });
    const [first] = await ranking(kit);
    kit.sim.setFaults({ neverUpServers: [first as number] });
    const job = await kit.submit({});
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(2);
    expect(done.attempts[0]).toMatchObject({ serverId: first, endReason: 'provider_error' });
    expect(done.attempts[1]?.serverId).not.toBe(first);
    expect(done.events.filter((e) => e.type === 'state').map((e) => e.to)).toEqual([
      'queued',
      'provisioning',
      'provisioning',
      'running',
      'collecting',
      'succeeded',
    ]);
    await kit.noActiveOrders();
    const orders = await kit.orders();
    expect(orders).toHaveLength(2);
    expect(orders.every((o) => o.endReason === 'cancelled')).toBe(true);
  });

  it('servers whose SSH never answers use up the attempts; every order is released', async () => {
    kit = await startKit(redis.url, {
      sim: { faults: { sshRefuseMs: 600_000 } },
      env: { PROVISION_TIMEOUT_SECONDS: '2' },
    });
    const job = await kit.submit({ maxAttempts: 2 });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('provider_error');
    expect(done.attempts.map((a) => a.endReason)).toEqual(['provider_error', 'provider_error']);
    expect(done.message).toContain('did not answer SSH');
    await kit.noActiveOrders();
    expect(await kit.orders()).toHaveLength(2);
  });

  it('the release is retried until the order has ended, while cancel calls keep failing', async () => {
    kit = await startKit(redis.url);
    kit.sim.setFaults({ endpoints: { cancel_orders: { http500: 1 }, cancel_order: { http500: 1 } } });
    const job = await kit.submit({ command: 'echo released later' });
    const faultedCancels = async () => {
      const calls = (
        (await (await fetch(`${kit?.sim.url}/_sim/calls`)).json()) as {
          calls: { endpoint: string; fault?: string }[];
        }
      ).calls;
      return calls.filter((c) => c.endpoint.startsWith('cancel_order') && c.fault !== undefined).length;
    };
    // The command is done and the attempt decided, but its order cannot be cancelled yet.
    await kit.waitFor(job.id, (j) => j.attempts[0]?.endReason === 'completed');
    await waitFor(async () => (await faultedCancels()) >= 3, {
      timeoutMs: 20_000,
      message: '3 failed cancels',
    });
    const pending = await kit.store.get(job.id);
    expect(pending.state).toBe('collecting');
    expect(pending.attempts[0]?.endedAt).toBeUndefined();
    expect(await kit.activeOrders()).toHaveLength(1);
    // The API recovers: the release completes and only then does the job end.
    kit.sim.setFaults({});
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.attempts[0]?.endedAt).toBeDefined();
    await kit.noActiveOrders();
  });

  it('no matching server fails the job with no_matching_server and orders nothing', async () => {
    kit = await startKit(redis.url, { env: { PROVISION_TIMEOUT_SECONDS: '1' } });
    const job = await kit.submit({ gpu: { model: 'Imaginary GPU 9000' } });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('no_matching_server');
    expect(done.message).toContain('gpu_model');
    expect(done.attempts).toHaveLength(0);
    expect(await kit.orders()).toHaveLength(0);
  });

  it('an empty balance fails the job with insufficient_balance', async () => {
    kit = await startKit(redis.url);
    kit.sim.setBalance('e2e-key', 'USD-Blockchain', 0);
    const job = await kit.submit({});
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('insufficient_balance');
    expect(await kit.activeOrders()).toHaveLength(0);
  });

  it('a lost create_order answer never yields two orders', async () => {
    kit = await startKit(redis.url);
    // Every create_order makes the order, then the answer is lost (connection reset).
    kit.sim.setFaults({ endpoints: { create_order: { lostResponse: 1 } } });
    const job = await kit.submit({});
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.attempts, JSON.stringify(done.events.map((e) => e.message))).toHaveLength(1);
    const orders = await kit.orders();
    expect(orders).toHaveLength(1);
    expect(orders[0]?.id).toBe(done.attempts[0]?.orderId);
    await kit.noActiveOrders();
  });

  it('a worker that died between create_order and recording the attempt: the next one adopts that order', async () => {
    kit = await startKit(redis.url, { noWorker: true });
    // What the dead worker left: the job's sealed key pair, an intent, and the order it made.
    const { job } = await kit.store.create({
      spec: toStoredSpec(parseJobSpec(spec({ command: 'echo adopted' }), { currency: 'USD-Blockchain' })),
      owner: 'e2e',
    });
    const pair = generateJobKeyPair('dead worker');
    await kit.store.setSecret(job.id, 'sshKeyPair', sealJson(deriveSecretKey(SECRETS_KEY), pair));
    const market = (await (await fetch(`${kit.sim.url}/_sim/marketplace`)).json()) as {
      servers: {
        id: number;
        online: boolean;
        rentedExternally: boolean;
        gigaspot: boolean;
        gpuModel: string;
      }[];
    };
    const intents = createIntents(kit.redis, fleetKeys(kit.prefix), silentLogger());
    let created: number | undefined;
    // A server the job's spec matches (its worker selected it): the adopter checks the booked GPUs.
    const matches = (s: { gpuModel: string }) => / RTX (3090|4090)$/.test(s.gpuModel);
    for (const server of market.servers.filter(
      (s) => s.online && !s.rentedExternally && !s.gigaspot && matches(s),
    )) {
      await intents.record({ jobId: job.id, attempt: 1, serverId: server.id, at: Date.now() });
      const result = await simCall(kit, 'create_order', {
        renting_server: server.id,
        type: 'on-demand',
        currency: 'USD-Blockchain',
        image: 'ubuntu',
        ssh_key: pair.publicKey,
        // As the worker sends it: ubuntu runs no sshd of its own (clore-api.md Part A 10).
        autossh_entrypoint: true,
      });
      if (result.code === 0) {
        created = server.id;
        break;
      }
      await intents.remove(job.id, 1);
    }
    expect(created).toBeDefined();
    await kit.queue.add('run', { jobId: job.id }, { jobId: job.id });
    await kit.startWorker();
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.attempts, JSON.stringify(done.events.map((e) => e.message))).toHaveLength(1);
    const orders = await kit.orders();
    expect(orders).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ serverId: created, orderId: orders[0]?.id });
    expect((await kit.store.readLog(job.id)).toString()).toBe('adopted\n');
    await kit.noActiveOrders();
  });
});
