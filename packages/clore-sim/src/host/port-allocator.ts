import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/** Below the kernel's ephemeral range (32768-60999 here), so outgoing connections never take them. */
export const PORT_RANGE: readonly [number, number] = [20_000, 32_767];

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
 */
export class PortAllocator {
  private readonly reserved = new Set<number>();
  private next: number;

  constructor(private readonly range: readonly [number, number] = PORT_RANGE) {
    this.next = randomInt(range[0], range[1] + 1);
  }

  async allocate(): Promise<number> {
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

  release(port: number): void {
    this.reserved.delete(port);
  }

  clear(): void {
    this.reserved.clear();
  }
}
