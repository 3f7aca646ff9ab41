import { Writable } from 'node:stream';
import { createLogger } from '@clore-batch/shared';
import { rejectionOf } from '@clore-batch/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { hang, json, reset, startScriptedServer, text } from '../../test/fixtures/scripted-server';
import { CloreApiError } from '../errors/clore-api-error';
import { CloreTransportError } from '../errors/clore-transport-error';
import { CloreClient, type CloreClientOptions } from './clore-client';

const API_KEY = 'sk-test-0123456789abcdef-secret';
const servers: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    await server.close();
  }
});

async function setup(
  handlers: Parameters<typeof startScriptedServer>[0],
  options: Partial<CloreClientOptions> = {},
) {
  const server = await startScriptedServer(handlers);
  servers.push(server);
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const client = new CloreClient({
    baseUrl: server.url,
    apiKey: API_KEY,
    logger,
    timeoutMs: 500,
    retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
    ...options,
  });
  return { server, client, lines };
}

describe('CloreClient over real HTTP (odd responses)', () => {
  it('sends the auth header and reads code 6 on HTTP 200 as an API error', async () => {
    const { client, server } = await setup([json(200, { code: 6, error: 'server-already-rented' })]);
    const error = await rejectionOf(
      client.createOrder({ serverId: 7, type: 'on-demand', currency: 'bitcoin', image: 'x' }),
    );
    expect(error).toBeInstanceOf(CloreApiError);
    expect(error).toMatchObject({
      code: 'CLORE_API_ERROR',
      apiCode: 6,
      apiError: 'server-already-rented',
      endpoint: 'create_order',
      httpStatus: 200,
    });
    expect(server.received[0]?.headers.auth).toBe(API_KEY);
    expect(server.received[0]?.path).toBe('/v1/create_order');
    expect(JSON.parse(server.received[0]?.body ?? '')).toEqual({
      renting_server: 7,
      type: 'on-demand',
      currency: 'bitcoin',
      image: 'x',
    });
  });

  it('retries a 429 {"code":5} with backoff and then succeeds', async () => {
    const { client, server, lines } = await setup([
      json(429, { code: 5 }),
      json(429, { code: 5 }),
      json(200, {
        code: 0,
        wallets: [{ name: 'bitcoin', balance: 0.5, deposit: 'tb1', withdrawal_fee: 0.0001 }],
      }),
    ]);
    expect(await client.wallets()).toEqual([
      { currency: 'bitcoin', balance: 0.5, depositAddress: 'tb1', withdrawalFee: 0.0001 },
    ]);
    expect(server.received).toHaveLength(3);
    expect(lines.filter((l) => l.includes('CLORE_RATE_LIMITED'))).toHaveLength(2);
  });

  it('gives up on code 5 after maxAttempts with CLORE_RATE_LIMITED', async () => {
    const { client, server } = await setup([
      json(429, { code: 5 }),
      json(429, { code: 5 }),
      json(429, { code: 5 }),
    ]);
    const error = await rejectionOf(client.marketplace());
    expect(error).toMatchObject({ code: 'CLORE_RATE_LIMITED', apiCode: 5, httpStatus: 429 });
    expect(server.received).toHaveLength(3);
  });

  it('reports a non-JSON body as a transport error, distinct from API errors', async () => {
    const { client } = await setup([text(200, '<html>maintenance</html>')], { retry: { maxAttempts: 1 } });
    const error = await rejectionOf(client.wallets());
    expect(error).toBeInstanceOf(CloreTransportError);
    expect(error).toMatchObject({ code: 'CLORE_TRANSPORT_ERROR', kind: 'non_json', httpStatus: 200 });
  });

  it('reports HTTP 502 with an HTML body as an http_status transport error and retries it', async () => {
    const { client, server } = await setup([text(502, 'Bad Gateway'), json(200, { code: 0, orders: [] })]);
    expect(await client.myOrders()).toEqual([]);
    expect(server.received.map((r) => r.path)).toEqual([
      '/v1/my_orders?return_completed=false',
      '/v1/my_orders?return_completed=false',
    ]);
  });

  it('times out, retries reads, and never retries create_order after a lost answer', async () => {
    const read = await setup([hang, json(200, { code: 0, servers: [] })], { timeoutMs: 200 });
    expect((await read.client.marketplace()).servers).toEqual([]);
    expect(read.server.received).toHaveLength(2);

    const create = await setup([hang, json(200, { code: 0 })], { timeoutMs: 200 });
    const error = await rejectionOf(
      create.client.createOrder({ serverId: 1, type: 'on-demand', currency: 'bitcoin', image: 'x' }),
    );
    expect(error).toMatchObject({ code: 'CLORE_TIMEOUT', kind: 'timeout', mayHaveReachedServer: true });
    expect(create.server.received).toHaveLength(1);
  });

  it('reports a connection reset and does not retry a create', async () => {
    const { client, server } = await setup([reset, json(200, { code: 0 })]);
    const error = await rejectionOf(
      client.createOrder({ serverId: 1, type: 'on-demand', currency: 'bitcoin', image: 'x' }),
    );
    expect(error).toMatchObject({ code: 'CLORE_TRANSPORT_ERROR', kind: 'reset' });
    expect(server.received).toHaveLength(1);
  });

  it('does not retry code 1 on create_order, but does elsewhere', async () => {
    const { client, server } = await setup([
      json(500, { code: 1 }),
      json(500, { code: 1 }),
      json(200, { code: 0 }),
    ]);
    const error = await rejectionOf(
      client.createOrder({ serverId: 1, type: 'on-demand', currency: 'bitcoin', image: 'x' }),
    );
    expect(error).toMatchObject({ code: 'CLORE_API_ERROR', apiCode: 1 });
    expect(server.received).toHaveLength(1);
    await client.cancelOrder({ id: 5 });
    expect(server.received).toHaveLength(3);
  });

  it('maps code 3 to CLORE_AUTH_FAILED without a retry, and never shows the key', async () => {
    const { client, server, lines } = await setup([json(401, { code: 3 })]);
    const error = await rejectionOf(client.wallets());
    expect(error).toMatchObject({ code: 'CLORE_AUTH_FAILED', apiCode: 3, httpStatus: 401 });
    expect(server.received).toHaveLength(1);
    const everything = [error.message, JSON.stringify(error), String(error.stack), ...lines].join('\n');
    expect(everything).not.toContain(API_KEY);
  });

  it('cancels in chunks of 64 and returns failed ids as numbers', async () => {
    const { client, server } = await setup([
      json(200, { code: 0, failed_to_cancel: ['3', '64'] }),
      json(200, { code: 0, failed_to_cancel: [130] }),
      json(200, { code: 0, failed_to_cancel: [] }),
    ]);
    const ids = Array.from({ length: 150 }, (_, i) => i + 1);
    const result = await client.cancelOrders({ ids });
    expect(result).toEqual({ failedIds: [3, 64, 130], errors: [] });
    const sent = server.received.map((r) => (JSON.parse(r.body) as { order_ids: number[] }).order_ids.length);
    expect(sent).toEqual([64, 64, 22]);
  });

  it('tries every cancel_orders chunk and reports the ids of a failed chunk', async () => {
    const { client } = await setup([reset, reset, reset, json(200, { code: 0, failed_to_cancel: [] })]);
    const ids = Array.from({ length: 70 }, (_, i) => i + 1);
    const result = await client.cancelOrders({ ids });
    expect(result.failedIds).toEqual(ids.slice(0, 64));
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ code: 'CLORE_TRANSPORT_ERROR', kind: 'reset' });
  });

  it('refuses over-long create fields locally, naming the field and not the value', async () => {
    const { client, server } = await setup([]);
    const secret = 'p'.repeat(33);
    const error = await rejectionOf(
      client.createOrder({ serverId: 1, type: 'spot', currency: 'bitcoin', image: 'x', sshPassword: secret }),
    );
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(error.message).toContain('sshPassword is longer than 32');
    expect(error.message).toContain('spotPricePerDay is required');
    expect(error.message).not.toContain(secret);
    expect(server.received).toHaveLength(0);
  });

  it('reports an order without an id as unreadable, naming the field, and keeps the others', async () => {
    const { client } = await setup([
      json(200, { code: 0, orders: [{ id: 1, si: 2, currency: 'bitcoin', price: 1, ct: 3 }, { si: 3 }] }),
    ]);
    const report = await client.myOrdersReport({});
    expect(report.orders.map((order) => order.id)).toEqual([1]);
    expect(report.unreadable).toEqual([
      {
        index: 1,
        serverId: 3,
        problems: [
          'orders[1].id (or order_id) missing',
          'orders[1].currency missing',
          'orders[1].price missing',
        ],
      },
    ]);
  });

  it('one malformed order of another tool does not reject the whole my_orders list', async () => {
    const ours = { id: 10, si: 20, currency: 'USD-Blockchain', price: 7, ct: 1_700_000_000, spend: 0.5 };
    const foreign = {
      id: 11,
      si: 21,
      currency: 'USD-Blockchain',
      price: 3,
      ct: 1_700_000_100,
      http_pub: null,
      pub_cluster: null,
      tcp_ports: null,
      spend: null,
      fee: null,
      creation_fee: null,
      order_end: null,
      gpu_count: null,
      owner: null,
      rating: null,
      specs: null,
      online: null,
      mon_container: null,
      expired: null,
    };
    const { client } = await setup([json(200, { code: 0, orders: [ours, foreign] })]);
    const orders = await client.myOrders();
    expect(orders.map((order) => order.id)).toEqual([10, 11]);
    // A null creation_fee is not free: estimated at 1 % of the day price (decision 0117 addendum).
    expect(orders[1]).toMatchObject({
      id: 11,
      serverId: 21,
      creationFee: 0.03,
      creationFeeEstimated: true,
      active: true,
      ready: false,
    });
    expect(orders[1]?.spend).toBeUndefined();
    expect(orders[1]?.ssh).toBeUndefined();
  });

  it('a null in a required field makes only that order unreadable, reported with its id', async () => {
    const { client, lines } = await setup([
      json(200, {
        code: 0,
        orders: [
          { id: 10, si: 20, currency: 'bitcoin', price: 1 },
          { id: 11, si: 21, currency: null, price: null },
          { id: null, si: 22, currency: 'bitcoin', price: 1 },
          { id: '12', si: 23, currency: 'bitcoin', price: 1, spend: 'lots' },
          'not an order',
        ],
      }),
    ]);
    const report = await client.myOrdersReport({});
    expect(report.orders.map((order) => order.id)).toEqual([10]);
    expect(report.unreadable).toEqual([
      { index: 1, id: 11, serverId: 21, problems: ['orders[1].currency missing', 'orders[1].price missing'] },
      { index: 2, serverId: 22, problems: ['orders[2].id (or order_id) missing'] },
      { index: 3, id: 12, serverId: 23, problems: [expect.stringContaining('orders[3].spend')] },
      { index: 4, problems: [expect.stringContaining('orders[4]')] },
    ]);
    expect(lines.join('')).toContain('my_orders: unreadable orders');
  });

  it('still throws CLORE_BAD_RESPONSE for a my_orders body without an orders array', async () => {
    const { client } = await setup([json(200, { code: 0, orders: null })]);
    const error = await rejectionOf(client.myOrdersReport({}));
    expect(error).toMatchObject({ code: 'CLORE_BAD_RESPONSE' });
  });

  it('reads renter_fees, null and unreadable parts as absent', async () => {
    const { client, server } = await setup([
      json(200, {
        code: 0,
        renter_fees: { on_demand: { base: { bitcoin: 0.1 } }, spot: null },
        poh_config: { anything: true },
        creation_fees: { on_demand: { 'USD-Blockchain': '0.1', bitcoin: null }, spot: 'n/a' },
        poh_balance: null,
      }),
    ]);
    expect(await client.renterFees()).toEqual({
      creationFees: { 'on-demand': { 'USD-Blockchain': 0.1 }, spot: {} },
      renterFeeBase: { 'on-demand': { bitcoin: 0.1 }, spot: {} },
    });
    expect(server.received[0]).toMatchObject({ method: 'GET', path: '/v1/renter_fees' });
  });

  it('sends dockerhub_auth and never logs it, not even in an error', async () => {
    const secret = 'user:dckr_pat_SECRET-registry-token';
    const { client, server, lines } = await setup([
      json(200, { code: 0 }),
      json(200, { code: 6, error: 'server-already-rented' }),
    ]);
    const options = {
      serverId: 7,
      type: 'on-demand',
      currency: 'bitcoin',
      image: 'private/x',
      dockerhubAuth: secret,
    } as const;
    await client.createOrder(options);
    expect(JSON.parse(server.received[0]?.body ?? '{}')).toMatchObject({ dockerhub_auth: secret });
    const error = await rejectionOf(client.createOrder(options));
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(error.message).not.toContain(secret);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(secret);
    expect(lines.join('')).not.toContain('dckr_pat');
  });
});
