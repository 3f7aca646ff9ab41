import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { trackRedis } from './leak-check';
import { startSentinelGroup } from './redis-sentinel';

describe('startSentinelGroup', () => {
  it('promotes the replica when the master is SIGKILLed; a Sentinel client follows it with its data', async () => {
    const group = await startSentinelGroup();
    try {
      const first = await group.masterPort();
      expect(first).toBe(group.servers[0]?.port);
      const client = trackRedis(
        new Redis({
          sentinels: group.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
          name: group.name,
          maxRetriesPerRequest: null,
        }),
      );
      client.on('error', () => {}); // refused while the sentinels still name the dead master
      await client.set('k', 'before');
      await client.wait(1, 2_000);
      await group.servers[0]?.kill();
      const promoted = await group.waitForFailover(first);
      expect(promoted).toBe(group.servers[1]?.port);
      expect(await client.get('k')).toBe('before');
      await client.set('k', 'after');
      expect(await client.get('k')).toBe('after');
      await client.quit();
    } finally {
      await group.stop();
    }
  }, 60_000);
});
