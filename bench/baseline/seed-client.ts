/**
 * The seed documents' Python `CloreClient` (../shared/seeds/001), in TypeScript over our
 * `CloreClient` transport WITHOUT the shared Redis limiter: its own in-process pacing (sleep until
 * 1.1 s after the previous request), then up to 3 tries, sleeping 2^try seconds after a code 5 or a
 * network error, like the seed's `_request`. Only what the recipe uses.
 */
import {
  type CallLimiter,
  CloreClient,
  type CreateOrderOptions,
  type Order,
  type Server,
} from '@clore-batch/clore';
import { hasErrorCode } from '@clore-batch/shared';
import { sleep } from '../lib/stats';

const RATE_LIMIT_MS = 1_100;
const MAX_RETRIES = 3;

/** The seed's `_rate_limit`: sleep so that requests start at least 1.1 s apart (one process). */
class SeedPacer implements CallLimiter {
  private last = 0;
  async acquire(): Promise<{ waitedMs: number }> {
    const wait = Math.max(0, this.last + RATE_LIMIT_MS - Date.now());
    await sleep(wait);
    this.last = Date.now();
    return { waitedMs: wait };
  }
  async penalize(): Promise<void> {}
}

function retryable(error: unknown): boolean {
  if (!hasErrorCode(error)) {
    return false;
  }
  return (
    error.code === 'CLORE_RATE_LIMITED' ||
    error.code === 'CLORE_TIMEOUT' ||
    error.code === 'CLORE_TRANSPORT_ERROR'
  );
}

export class SeedClient {
  private readonly client: CloreClient;

  constructor(baseUrl: string, apiKey: string) {
    this.client = new CloreClient({ baseUrl, apiKey, limiter: new SeedPacer(), retry: { maxAttempts: 1 } });
  }

  /** The seed's `_request` loop: code 5 and network errors sleep 2^attempt s and try again. */
  private async request<T>(call: () => Promise<T>): Promise<T> {
    let last: unknown;
    for (let attempt = 1; attempt <= MAX_RETRIES; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (!retryable(error)) {
          throw error;
        }
        last = error;
        await sleep(2 ** attempt * 1000);
      }
    }
    throw last;
  }

  /** `find_servers`: not rented, GPU substring match, price cap, sorted by price (USD/h). */
  async findServers(options: { gpu: string[]; maxUsdPerHour: number; currency: string }): Promise<Server[]> {
    const { servers } = await this.request(() => this.client.marketplace());
    const price = (s: Server) => s.usdPerHour.onDemand[options.currency] ?? Number.POSITIVE_INFINITY;
    return servers
      .filter((s) => !s.rented)
      .filter((s) =>
        s.gpus.some((g) => options.gpu.some((want) => g.toLowerCase().includes(want.toLowerCase()))),
      )
      .filter((s) => price(s) <= options.maxUsdPerHour)
      .sort((a, b) => price(a) - price(b));
  }

  createOrder(options: CreateOrderOptions): Promise<unknown> {
    return this.request(() => this.client.createOrder(options));
  }

  /**
   * `get_order` (my_orders with completed ones). The real API's create_order answers no id, so the
   * order is the newest one on the server that was not there before the create (as scripts do).
   */
  async orderOnServer(serverId: number, before: ReadonlySet<number>): Promise<Order | undefined> {
    const orders = await this.request(() => this.client.myOrders({ returnCompleted: true }));
    return orders.filter((o) => o.serverId === serverId && !before.has(o.id)).sort((a, b) => b.id - a.id)[0];
  }

  cancelOrder(id: number): Promise<void> {
    return this.request(() => this.client.cancelOrder({ id }));
  }
}
