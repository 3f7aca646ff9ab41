import { canConnect, generateKeyPair, waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { callApi } from '../test/sim-api';
import { it } from '../test/sim-fixture';
import { sshExec } from '../test/ssh-client';

const KEY = 'key-capacity';
const ORDERS = 100;
describe('capacity', () => {
  it(`holds ${ORDERS} concurrently active orders, each with its own sshd answering a key login`, async ({
    startSim,
  }) => {
    const keys = await generateKeyPair();
    const handle = await startSim({
      seed: 42,
      servers: 200,
      keys: [{ key: KEY, balances: { 'CLORE-Blockchain': 1e12 } }],
      limits: { generalMs: 0, createMs: 0 },
      provisioningMs: [100, 1000],
    });
    const free = [...handle.sim.servers.values()].filter(
      (s) => s.online && !s.gigaspot && !s.rentedExternally && s.allowedCoins.includes('CLORE-Blockchain'),
    );
    expect(free.length).toBeGreaterThanOrEqual(ORDERS);
    for (const server of free.slice(0, ORDERS)) {
      const res = await callApi(handle, KEY, 'create_order', {
        body: {
          renting_server: server.id,
          type: 'on-demand',
          currency: 'CLORE-Blockchain',
          image: 'x',
          autossh_entrypoint: true,
          ssh_key: keys.publicKey,
          env: { N: String(server.id) },
        },
      });
      expect(res.body).toEqual({ code: 0 });
    }
    await waitFor(() => handle.orders().filter((o) => o.sshReady).length === ORDERS, {
      timeoutMs: 120_000,
      intervalMs: 100,
      message: `${ORDERS} sshds running`,
    });
    const orders = handle.orders();
    expect(new Set(orders.map((o) => o.sshPort)).size).toBe(ORDERS);
    for (let i = 0; i < orders.length; i += 10) {
      const batch = orders.slice(i, i + 10);
      const results = await Promise.all(
        batch.map((o) => sshExec(o.sshPort, keys.privateKey, 'echo "$N"; exit 5')),
      );
      results.forEach((r, j) => {
        expect(r).toMatchObject({ stdout: `${batch[j]!.serverId}\n`, code: 5 });
      });
    }
    const ports = orders.map((o) => o.sshPort);
    await handle.close();
    for (const port of ports) {
      expect(await canConnect(port)).toBe(false);
    }
  });
});
