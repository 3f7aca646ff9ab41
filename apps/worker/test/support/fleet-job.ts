import type { CloreClient, Order } from '@clore-batch/clore';
import type { Fleet } from '../../src/fleet/create-fleet';
import type { FleetKit } from './fleet-kit';

/**
 * Test support (not the lifecycle's `runJob`): what a job attempt does with the fleet, stripped of
 * SSH: select (marketplace view + claim), write the intent, create, find the order through the order
 * book, bind, release, wait for the end.
 */
export async function runTestJob(
  fleet: Fleet,
  client: CloreClient,
  jobId: string,
  taken: Set<number>,
): Promise<Order> {
  const market = await fleet.marketplace.get();
  const candidates = market.servers
    .filter((s) => !s.rented && !s.gigaspot && s.allowedCurrencies.includes('USD-Blockchain'))
    .sort(
      (a, b) =>
        (a.usdPerHour.onDemand['USD-Blockchain'] ?? 0) - (b.usdPerHour.onDemand['USD-Blockchain'] ?? 0),
    );
  for (const server of candidates) {
    if (!(await fleet.claims.claim(server.id, jobId, 30_000))) {
      continue;
    }
    await fleet.intents.record({ jobId, attempt: 1, serverId: server.id, at: Date.now() });
    try {
      await client.createOrder({
        serverId: server.id,
        type: 'on-demand',
        currency: 'USD-Blockchain',
        image: 'x',
      });
    } catch {
      // server-offline and the like: next candidate.
      await fleet.intents.remove(jobId, 1, server.id);
      await fleet.claims.release(server.id, jobId);
      continue;
    }
    await fleet.orderBook.requestPoll();
    let version = (await fleet.orderBook.current())?.version ?? 0;
    let order: Order | undefined;
    while (order === undefined) {
      const snapshot = await fleet.orderBook.next(version);
      version = snapshot.version;
      order = snapshot.orders.find((o) => o.serverId === server.id && !taken.has(o.id));
    }
    taken.add(order.id);
    await fleet.intents.bindOrder(jobId, 1, server.id, order.id);
    await fleet.claims.release(server.id, jobId);
    await fleet.releases.request(order.id, { jobId, reason: 'done' });
    const ended = await fleet.releases.waitEnded(order.id);
    await fleet.intents.remove(jobId, 1, server.id);
    return ended ?? order;
  }
  throw new Error(`${jobId}: no server could be rented`);
}

/**
 * 20 jobs at once in two simulated worker processes (a fleet and a client each), each through
 * `runTestJob`: the orders they ended with, how long the run took, the two fleets.
 */
export async function runTwentyJobs(
  kit: FleetKit,
): Promise<{ ended: Order[]; elapsed: number; fleets: Fleet[] }> {
  const fleets = [kit.fleet(), kit.fleet()];
  const clients = [kit.client(), kit.client()];
  await Promise.all(fleets.map((f) => f.start()));
  const taken = new Set<number>();
  const started = Date.now();
  const ended = await Promise.all(
    Array.from({ length: 20 }, (_, i) => runTestJob(fleets[i % 2]!, clients[i % 2]!, `job-${i}`, taken)),
  );
  return { ended, elapsed: Date.now() - started, fleets };
}
