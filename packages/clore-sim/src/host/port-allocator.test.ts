import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PortAllocator } from './port-allocator';

describe('PortAllocator', () => {
  it('hands out distinct ports below the ephemeral range until released', async () => {
    const allocator = new PortAllocator();
    const ports = [];
    for (let i = 0; i < 20; i += 1) {
      ports.push(await allocator.allocate());
    }
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_768);
    }
  });

  it('skips a port something listens on, and reuses a released one after wrapping', async () => {
    const busy = createServer();
    const port = await new Promise<number>((resolve) => {
      busy.listen({ port: 0, host: '127.0.0.1' }, () => resolve((busy.address() as { port: number }).port));
    });
    try {
      const allocator = new PortAllocator([port, port + 1]);
      const first = await allocator.allocate();
      expect(first).not.toBe(port);
      await expect(allocator.allocate()).rejects.toThrow(/no free port/);
      allocator.release(first);
      expect(await allocator.allocate()).toBe(first);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('hands a port an ended order freed to a later order when reuse says so, never a taken one', async () => {
    let reuse = false;
    const allocator = new PortAllocator([24_000, 24_100], () => reuse);
    const first = await allocator.allocate();
    const second = await allocator.allocate();
    allocator.release(first, true);
    expect(await allocator.allocate()).not.toBe(first);
    reuse = true;
    expect(await allocator.allocate()).toBe(first);
    // Reserved again: a second allocation does not get it twice.
    expect(await allocator.allocate()).not.toBe(first);
    // A port released without ending an order (a failed create) is not remembered for reuse.
    allocator.release(second);
    expect(await allocator.allocate()).not.toBe(second);
  });
});
