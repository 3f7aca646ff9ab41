import { redisKeys } from '@clore-batch/shared';
import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, startKit } from './support/e2e-kit';

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

/** The create_order bodies this process sent (the worker runs in-process and calls global fetch). */
function recordCreates(): { bodies: Record<string, unknown>[]; restore: () => void } {
  const original = globalThis.fetch;
  const bodies: Record<string, unknown>[] = [];
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    if (String(input instanceof Request ? input.url : input).endsWith('/v1/create_order')) {
      bodies.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
    }
    return original(input, init);
  }) as typeof fetch;
  return { bodies, restore: () => (globalThis.fetch = original) };
}

describe('create_order options (clore-api.md Part A 10, 14, 15)', () => {
  it("asks for Clore's SSH entrypoint unless imageHasSshd; sends required_price and registryAuth as dockerhub_auth", async () => {
    const creates = recordCreates();
    try {
      kit = await startKit(redis.url);
      const auth = 'registry-user:registry-token-123';
      const plain = await kit.submit({ command: 'echo plain', registryAuth: auth });
      expect((await kit.waitDone(plain.id)).state).toBe('succeeded');
      // A cloreai/ image brings its own sshd (the simulator's default sshdImagePrefixes).
      const own = await kit.submit({
        command: 'echo own sshd',
        image: 'cloreai/ubuntu:22.04',
        imageHasSshd: true,
      });
      expect((await kit.waitDone(own.id)).state).toBe('succeeded');
      expect(creates.bodies).toHaveLength(2);
      const [first, second] = creates.bodies;
      expect(first).toMatchObject({ autossh_entrypoint: true, dockerhub_auth: auth });
      expect(first?.required_price).toEqual(expect.any(Number));
      expect(second).toMatchObject({ autossh_entrypoint: false });
      expect(second).not.toHaveProperty('dockerhub_auth');
      // Booked at the price selection used.
      const orders = [...kit.sim.sim.orders.values()];
      expect(orders.map((o) => o.requiredPrice).sort()).toEqual(orders.map((o) => o.price).sort());
      // The secret is sealed at rest and not in the job record.
      const stored = await kit.store.get(plain.id);
      expect(JSON.stringify(stored)).not.toContain('registry-token');
      expect(stored.spec.hasRegistryAuth).toBe(true);
      // The sealed secret went as the job ended with its order (docs/decisions/0133): none at rest.
      expect(await kit.redis.exists(redisKeys(kit.prefix).store.secrets(plain.id))).toBe(0);
    } finally {
      creates.restore();
    }
  }, 60_000);
});

describe('readiness (clore-api.md Part A 7, 10)', () => {
  it('imageHasSshd on an image without sshd: ssh_error at the provisioning deadline, naming the likely cause', async () => {
    // ubuntu:22.04 runs no sshd: without autossh_entrypoint the simulator's order deploys but
    // nothing ever listens on its SSH port (clore-api.md Part A 10).
    kit = await startKit(redis.url, { env: { PROVISION_TIMEOUT_SECONDS: '3' } });
    const job = await kit.submit({ command: 'echo never', imageHasSshd: true, maxAttempts: 1 });
    const done = await kit.waitDone(job.id, 30_000);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('ssh_error');
    expect(done.message).toMatch(
      /the image may not run sshd; remove imageHasSshd to let Clore inject its SSH entrypoint/,
    );
    expect(done.attempts).toHaveLength(1);
    await kit.noActiveOrders();
  }, 60_000);
});
