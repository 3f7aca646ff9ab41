import { shortGpuName } from '@clore-batch/shared';
import { waitFor } from '@clore-batch/testing';
import type { ApiClient } from '../../src/api/api-client';
import type { Offers } from '../../src/api/api-market';
import type { Sandbox } from '../../src/sandbox/start-sandbox';

/** Test-only: the sandbox's marketplace as the CLI tests need it. */

/** The offers once the fleet leader has listed the marketplace (GET /v1/offers answers 200). */
export function marketKnown(client: ApiClient): Promise<Offers> {
  return waitFor(() => client.offers(), { timeoutMs: 60_000, message: 'the marketplace to be listed' });
}

/**
 * Rent out (as someone else, in the simulator) every server of the GPU model with the fewest
 * rentable servers, wait until the leader's listing shows none of them free, and return the model's name as
 * a spec gives it: a spec for it passes the submit check (servers exist) but finds no free server.
 */
export async function rentOutAModel(sandbox: Sandbox, client: ApiClient): Promise<string> {
  const servers = [...(sandbox.sim?.sim.servers.values() ?? [])];
  const counts = new Map<string, number>();
  // Counted: servers a CLORE-Blockchain on-demand job could rent (the sandbox's currency).
  for (const server of servers.filter((s) => !s.gigaspot && s.allowedCoins.includes('CLORE-Blockchain'))) {
    counts.set(server.gpuModel, (counts.get(server.gpuModel) ?? 0) + 1);
  }
  const [name] = [...counts.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0] ?? [''];
  for (const server of servers.filter((s) => s.gpuModel === name)) {
    server.rentedExternally = true;
  }
  const gpu = shortGpuName(name);
  await waitFor(
    async () => {
      const offers = await client.offers({ gpu });
      return offers.offers.length > 0 && offers.offers.every((group) => group.free === 0);
    },
    { timeoutMs: 30_000, message: `every ${gpu} server listed as rented` },
  );
  return gpu;
}
