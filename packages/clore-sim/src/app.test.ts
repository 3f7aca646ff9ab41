import { describe, expect, it } from 'vitest';
import { buildSimApp } from './app';

describe('buildSimApp', () => {
  it('serves the API through inject() without listening, and app.close() closes the simulator', async () => {
    const { app, sim } = await buildSimApp({ keys: [{ key: 'inject-key' }], servers: 5 });
    const res = await app.inject({ method: 'GET', url: '/v1/marketplace', headers: { auth: 'inject-key' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().servers).toHaveLength(5);
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/create_order',
      headers: { auth: 'inject-key', 'content-type': 'application/json' },
      payload: '{',
    });
    expect(bad.statusCode).toBe(429);
    expect(sim.calls.list().map((c) => c.code)).toEqual([0, 5]);
    await app.close();
    expect(sim.orders.size).toBe(0);
  });

  it('a bug inside an endpoint answers HTTP 500 {"code":1} and is logged as such', async () => {
    const { app, sim } = await buildSimApp({ keys: [{ key: 'inject-key' }], servers: 5 });
    sim.balancesOf = () => {
      throw new Error('boom');
    };
    const res = await app.inject({ method: 'GET', url: '/v1/wallets', headers: { auth: 'inject-key' } });
    expect({ status: res.statusCode, body: res.json() }).toEqual({ status: 500, body: { code: 1 } });
    expect(sim.calls.list().map((c) => [c.code, c.httpStatus])).toEqual([[1, 500]]);
    await app.close();
  });
});
