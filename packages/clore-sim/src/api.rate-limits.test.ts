import { describe, expect } from 'vitest';
import { availableServer, callApi, orderBody } from '../test/sim-api';
import { it as simIt } from '../test/sim-fixture';

const KEY = 'key-limits';
const OTHER = 'key-limits-other';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The same code path as the real 1 s / 5 s limits, on a shorter clock (the .slow test uses the real one). */
const it = simIt.extend('simOptions', {
  seed: 3,
  keys: [{ key: KEY }, { key: OTHER }],
  limits: { generalMs: 100, createMs: 1_000 },
  provisioningMs: [5000, 5000],
});

describe('per-key rate limits (scaled: 100 ms general, 1 s create)', () => {
  it('a burst gets HTTP 429 {"code":5}; another key is not affected', async ({ startSim }) => {
    const handle = await startSim();
    const results = await Promise.all(Array.from({ length: 10 }, () => callApi(handle, KEY, 'wallets')));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    for (const r of limited) {
      expect(r.body).toEqual({ code: 5 });
    }
    // Whatever the machine's load: allowed calls are >= 100 ms apart, and each 429 came < 100 ms
    // after the previous allowed call (1 ms tolerance: the log stamps arrival, the limiter checks a
    // moment later).
    let lastAllowed: number | undefined;
    for (const call of [...handle.sim.calls.list()].sort((a, b) => a.at - b.at)) {
      if (call.code === 0) {
        if (lastAllowed !== undefined) {
          expect(call.at - lastAllowed).toBeGreaterThanOrEqual(99);
        }
        lastAllowed = call.at;
      } else {
        expect(call.code).toBe(5);
        expect(call.at - (lastAllowed ?? Number.NEGATIVE_INFINITY)).toBeLessThan(101);
      }
    }
    expect((await callApi(handle, OTHER, 'wallets')).status).toBe(200);
  });

  it('calls spaced wider than the limit never get 429', async ({ startSim }) => {
    const handle = await startSim();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      statuses.push((await callApi(handle, KEY, i % 2 === 0 ? 'marketplace' : 'my_orders')).status);
      await pause(120);
    }
    expect(statuses).toEqual(Array.from({ length: 8 }, () => 200));
  });

  it('a create_order over its limit is answered 429 and not performed', async ({ startSim }) => {
    const handle = await startSim();
    const first = availableServer(handle);
    const second = availableServer(handle, 'CLORE-Blockchain', [first]);
    expect((await callApi(handle, KEY, 'create_order', { body: orderBody(first) })).status).toBe(200);
    await pause(150);
    const limited = await callApi(handle, KEY, 'create_order', { body: orderBody(second) });
    expect(limited).toEqual({ status: 429, body: { code: 5 } });
    expect(handle.orders()).toHaveLength(1);
    // Other endpoints are still allowed between creates.
    expect((await callApi(handle, KEY, 'my_orders')).status).toBe(200);
    await pause(900);
    expect((await callApi(handle, KEY, 'create_order', { body: orderBody(second) })).status).toBe(200);
    expect(handle.orders()).toHaveLength(2);
  });

  it('a bad key is answered code 3 and never rate-limited', async ({ startSim }) => {
    const handle = await startSim();
    const results = await Promise.all(Array.from({ length: 5 }, () => callApi(handle, 'bad', 'wallets')));
    expect(results.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
  });
});
