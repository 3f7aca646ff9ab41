/**
 * The baseline: the seed recipe ("find and rent the cheapest", "wait until the server is ready",
 * "SSH into the server and run a command", "cancel the order"), one job after the other.
 * Beyond the recipe, a server that refuses the order (code 6, e.g. offline or on GigaSPOT, which
 * the marketplace listing does not show) is skipped for the next cheapest one, up to 5, and for the
 * rest of the run; without that the recipe would fail every job on the same cheapest server.
 */
import { CloreApiError, type Order } from '@clore-batch/clore';
import { generateKeyPair } from '@clore-batch/testing';
import { sleep } from '../lib/stats';
import { SeedClient } from './seed-client';
import { sshExec } from './ssh-exec';

const POLL_MS = 5_000;
const WAIT_TIMEOUT_MS = 300_000;
const CREATE_TRIES = 5;

export interface BaselineJob {
  n: number;
  ok: boolean;
  error?: string;
  startedAt: number;
  endedAt: number;
}

export interface BaselineOptions {
  simUrl: string;
  apiKey: string;
  currency: string;
  gpu: string[];
  maxUsdPerHour: number;
  image: string;
  commands: string[];
  /** Called after each job (progress). */
  onJob?: (job: BaselineJob) => void;
}

async function waitForOrder(
  client: SeedClient,
  serverId: number,
  before: ReadonlySet<number>,
): Promise<Order> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const order = await client.orderOnServer(serverId, before);
    if (order?.expired) {
      throw new Error(`order ${order.id} ended before it ran`);
    }
    if (order?.ready === true) {
      return order;
    }
    await sleep(POLL_MS);
  }
  throw new Error(`no running order on server ${serverId} within ${WAIT_TIMEOUT_MS} ms`);
}

export async function runBaseline(options: BaselineOptions): Promise<BaselineJob[]> {
  const client = new SeedClient(options.simUrl, options.apiKey);
  const keys = await generateKeyPair('baseline');
  const seen = new Set<number>();
  const refused = new Set<number>();
  const results: BaselineJob[] = [];
  for (const [i, command] of options.commands.entries()) {
    const startedAt = Date.now();
    let orderId: number | undefined;
    try {
      const servers = (
        await client.findServers({
          gpu: options.gpu,
          maxUsdPerHour: options.maxUsdPerHour,
          currency: options.currency,
        })
      ).filter((s) => !refused.has(s.id) && s.allowedCurrencies.includes(options.currency));
      let serverId: number | undefined;
      for (const server of servers.slice(0, CREATE_TRIES)) {
        try {
          await client.createOrder({
            serverId: server.id,
            type: 'on-demand',
            currency: options.currency,
            image: options.image,
            sshKey: keys.publicKey,
            ports: { '22': 'tcp' },
          });
          serverId = server.id;
          break;
        } catch (error) {
          if (!(error instanceof CloreApiError) || error.apiCode !== 6) {
            throw error;
          }
          refused.add(server.id);
        }
      }
      if (serverId === undefined) {
        throw new Error('no server accepted the order');
      }
      const order = await waitForOrder(client, serverId, seen);
      orderId = order.id;
      seen.add(order.id);
      if (order.ssh === undefined) {
        throw new Error(`order ${order.id} has no SSH endpoint`);
      }
      const result = await sshExec(order.ssh, keys.privateKey, command);
      if (result.exitCode !== 0) {
        throw new Error(`the command exited ${result.exitCode}`);
      }
      results.push({ n: i + 1, ok: true, startedAt, endedAt: Date.now() });
    } catch (error) {
      results.push({ n: i + 1, ok: false, error: (error as Error).message, startedAt, endedAt: Date.now() });
    } finally {
      if (orderId !== undefined) {
        await client.cancelOrder(orderId).catch(() => {});
      }
    }
    const last = results.at(-1);
    if (last !== undefined) {
      options.onJob?.(last);
    }
  }
  return results;
}
