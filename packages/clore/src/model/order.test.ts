import { describe, expect, it } from 'vitest';
import { RawOrderSchema } from '../schema/orders';
import { normaliseOrder, type Order, orderSpendUsd } from './order';

function normalise(raw: unknown) {
  return normaliseOrder(RawOrderSchema.parse(raw));
}

describe('normaliseOrder', () => {
  it('reads the observed real shape', () => {
    const order = normalise({
      id: 38176,
      si: 6718,
      currency: 'CLORE-Blockchain',
      price: 50,
      creation_fee: 0.5,
      spend: 1.23,
      ct: 1714608000,
      mrl: 72,
      image: 'cloreai/jupyter:ubuntu24.04-v2',
      pub_cluster: ['n1.c1.clorecloud.net'],
      tcp_ports: ['8888:1300', '22:1277'],
      online: true,
      mon_container: 2,
      spot: false,
      expired: false,
      unknown_extra: { anything: true },
    });
    expect(order).toEqual({
      id: 38176,
      serverId: 6718,
      currency: 'CLORE-Blockchain',
      pricePerDay: 50,
      creationFee: 0.5,
      spend: 1.23,
      createdAt: 1714608000,
      expired: false,
      active: true,
      online: true,
      monContainer: 2,
      containerUp: true,
      deployed: true,
      ready: true,
      ssh: { host: 'n1.c1.clorecloud.net', port: 1277, user: 'root' },
      spot: false,
      image: 'cloreai/jupyter:ubuntu24.04-v2',
      mrlHours: 72,
    });
  });

  it('reads the seeds shape', () => {
    const order = normalise({
      order_id: 98765,
      renting_server: 12345,
      type: 'spot',
      status: 'running',
      currency: 'CLORE-Blockchain',
      price: 0.25,
      created: 1709400000,
      started: 1709400120,
      connection: { ssh: 'ssh root@node123.clore.ai -p 40022', jupyter: 'http://node123.clore.ai:8888' },
    }) as Order;
    expect(order).toMatchObject({
      id: 98765,
      serverId: 12345,
      createdAt: 1709400000,
      spot: true,
      ready: true,
      active: true,
      expired: false,
      // No creation_fee sent: counted, not assumed free (CREATION_FEE_DAY_FRACTION of a day's price).
      creationFee: 0.0025,
      creationFeeEstimated: true,
      providerStatus: 'running',
      ssh: { host: 'node123.clore.ai', port: 40022, user: 'root' },
    });
    expect(order.spend).toBeUndefined();
    const seedsWith = (status: string) =>
      normalise({ order_id: 1, renting_server: 2, currency: 'x', price: 1, created: 3, status }) as Order;
    expect(seedsWith('expired').active).toBe(false);
    expect(seedsWith('pending').ready).toBe(false);
  });

  it('is not ready until online with a running container', () => {
    const base = { id: 1, si: 2, currency: 'bitcoin', price: 0.0001, ct: 5 };
    expect((normalise({ ...base, online: true, mon_container: 0 }) as Order).ready).toBe(false);
    expect((normalise({ ...base, online: false, mon_container: 1 }) as Order).ready).toBe(false);
    expect((normalise({ ...base, expired: true, online: true, mon_container: 1 }) as Order).ready).toBe(
      false,
    );
    expect((normalise({ ...base, tcp_ports: { '22/tcp': 2222 }, pub_cluster: 'h' }) as Order).ssh).toEqual({
      host: 'h',
      port: 2222,
      user: 'root',
    });
  });

  it('is deployed and ready only at mon_container 2 (0 and 1 are deploying)', () => {
    const base = { id: 1, si: 2, currency: 'bitcoin', price: 0.0001, ct: 5, online: true };
    const at = (mon: number) => normalise({ ...base, mon_container: mon }) as Order;
    expect([0, 1, 2].map((mon) => [at(mon).containerUp, at(mon).deployed, at(mon).ready])).toEqual([
      [false, false, false],
      [true, false, false],
      [true, true, true],
    ]);
    expect(at(1).monContainer).toBe(1);
    const seeds = normalise({ order_id: 1, renting_server: 2, currency: 'x', price: 1, status: 'running' });
    expect(seeds).toMatchObject({ deployed: true, ready: true });
  });

  it('never gives an SSH address for an expired order', () => {
    const order = normalise({
      id: 1,
      si: 2,
      currency: 'bitcoin',
      price: 1,
      expired: true,
      online: true,
      mon_container: 2,
      pub_cluster: ['n1.example'],
      tcp_ports: ['22:1277'],
    }) as Order;
    expect(order.ssh).toBeUndefined();
    expect(order.ready).toBe(false);
  });

  it('reads the Part A 17 fields, null as absent, and drops an unreadable display field', () => {
    const order = normalise({
      id: 1949701,
      si: 2,
      currency: 'USD-Blockchain',
      price: 7,
      fee: null,
      creation_fee: 0.1,
      spend: 0.1146,
      order_end: 1_790_000_000,
      gpu_count: 1,
      total_gpus: 2,
      owner: 4,
      rating: { avg: 4.5, cnt: null },
      reliability: 99,
      cuda_version: 12.4,
      gpu_array: ['NVIDIA GeForce RTX 4090'],
      mrl: 72,
      http_pub: null,
      specs: 'not specs',
    }) as Order;
    expect(order).toMatchObject({
      orderEnd: 1_790_000_000,
      gpuCount: 1,
      totalGpus: 2,
      ownerId: 4,
      rating: { avg: 4.5 },
      reliability: 0.99,
      cudaVersion: '12.4',
      gpuArray: ['NVIDIA GeForce RTX 4090'],
      mrlHours: 72,
      creationFee: 0.1,
      spend: 0.1146,
    });
    expect(order.fee).toBeUndefined();
    expect(
      (normalise({ id: 1, si: 2, currency: 'x', price: 1, gpu_array: [['nested']] }) as Order).gpuArray,
    ).toBeUndefined();
  });

  it('never counts a missing or null creation fee as free (every order costs its fee, Part A 11)', () => {
    const base = { id: 1, si: 2, currency: 'USD-Blockchain', price: 24, spend: 0.5 };
    for (const raw of [base, { ...base, creation_fee: null }]) {
      const order = normalise(raw) as Order;
      expect(order.creationFee).toBeCloseTo(0.24, 10);
      expect(order.creationFeeEstimated).toBe(true);
      expect(orderSpendUsd(order, { 'USD-Blockchain': 1 })).toBeCloseTo(0.74, 10);
    }
    const sent = normalise({ ...base, creation_fee: 0.1 }) as Order;
    expect(sent.creationFee).toBe(0.1);
    expect(sent.creationFeeEstimated).toBeUndefined();
  });

  it('names every missing field the product needs', () => {
    expect(normalise({ currency: 'bitcoin' })).toEqual({
      missing: ['id (or order_id)', 'si (or renting_server)', 'price'],
    });
  });

  it('converts spend and the creation fee to USD', () => {
    const order = normalise({
      id: 1,
      si: 2,
      currency: 'CLORE-Blockchain',
      price: 24,
      ct: 5,
      spend: 10,
      creation_fee: 2,
    });
    const rates = { 'CLORE-Blockchain': 0.03 };
    expect(orderSpendUsd(order as Order, rates)).toBeCloseTo(0.36);
    expect(orderSpendUsd(order as Order, rates, { includeCreationFee: false })).toBeCloseTo(0.3);
    expect(orderSpendUsd(order as Order, {})).toBeUndefined();
  });
});
