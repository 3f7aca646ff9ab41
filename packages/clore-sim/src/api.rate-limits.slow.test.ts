import { describe, expect } from 'vitest';
import { availableServer, callApi, orderBody } from '../test/sim-api';
import { it } from '../test/sim-fixture';

const KEY = 'key-real-limits';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the real limits: 1 request/s, 1 create_order per 5 s', () => {
  it('a burst is limited, calls 1.1 s apart never are, a create 1.1 s after a create is limited', async ({
    startSim,
  }) => {
    const handle = await startSim({ keys: [{ key: KEY }], provisioningMs: [10_000, 10_000] });
    const burst = await Promise.all(Array.from({ length: 5 }, () => callApi(handle, KEY, 'wallets')));
    expect(burst.filter((r) => r.status === 429)).toHaveLength(4);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      await pause(1100);
      statuses.push((await callApi(handle, KEY, 'my_orders')).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200]);
    const first = availableServer(handle);
    const second = availableServer(handle, 'CLORE-Blockchain', [first]);
    await pause(1100);
    expect((await callApi(handle, KEY, 'create_order', { body: orderBody(first) })).status).toBe(200);
    await pause(1100);
    expect((await callApi(handle, KEY, 'create_order', { body: orderBody(second) })).body).toEqual({
      code: 5,
    });
    await pause(4000);
    expect((await callApi(handle, KEY, 'create_order', { body: orderBody(second) })).status).toBe(200);
    expect(handle.orders()).toHaveLength(2);
  });
});
