import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/** Below the kernel's ephemeral range (32768-60999 here), so outgoing connections never take them. */
export const PORT_RANGE: readonly [number, number] = [20_000, 32_767];

/** How many freed ports are remembered for reuse. */
const FREED_KEPT = 256;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Ports for orders' sshds. An order's port is published at create time but bound only once the
 * order is provisioned, so it must not be handed out again meanwhile: ports come from below the
 * ephemeral range (no client socket or `listen(0)` elsewhere picks them), scanning up from a random
 * start per simulator (two simulators rarely meet), skipping ports that are reserved here or that
 * something already listens on.
 *
 * Endpoints are reused (clore-api.md Part A 13): when `reuseNow()` says so, a port an ended order
 * freed is handed out again first (most recently freed first), once nothing listens on it any more.
 */
export class PortAllocator {
  private readonly reserved = new Set<number>();
  /** Ports released by ended orders, most recent last (bounded). */
  private freed: number[] = [];
  private next: number;

  constructor(
    private readonly range: readonly [number, number] = PORT_RANGE,
    private readonly reuseNow: () => boolean = () => false,
  ) {
    this.next = randomInt(range[0], range[1] + 1);
  }

  private async reuseFreed(): Promise<number | undefined> {
    for (let i = this.freed.length - 1; i >= 0; i -= 1) {
      const port = this.freed[i] as number;
      if (this.reserved.has(port)) {
        continue;
      }
      this.reserved.add(port);
      if (await isFree(port)) {
        this.freed = this.freed.filter((p) => p !== port);
        return port;
      }
      this.reserved.delete(port);
    }
    return undefined;
  }

  async allocate(): Promise<number> {
    if (this.freed.length > 0 && this.reuseNow()) {
      const port = await this.reuseFreed();
      if (port !== undefined) {
        return port;
      }
    }
    const size = this.range[1] - this.range[0] + 1;
    for (let tried = 0; tried < size; tried += 1) {
      const port = this.next;
      this.next = port >= this.range[1] ? this.range[0] : port + 1;
      if (this.reserved.has(port)) {
        continue;
      }
      this.reserved.add(port);
      if (await isFree(port)) {
        return port;
      }
      this.reserved.delete(port);
    }
    throw new Error(`no free port in ${this.range[0]}-${this.range[1]}`);
  }

  /** The port is no longer an order's; `endedOrder`: it may be handed to a later order as a reused endpoint. */
  release(port: number, endedOrder = false): void {
    this.reserved.delete(port);
    if (endedOrder) {
      this.freed = [...this.freed.filter((p) => p !== port), port].slice(-FREED_KEPT);
    }
  }

  clear(): void {
    this.reserved.clear();
    this.freed = [];
  }
}
