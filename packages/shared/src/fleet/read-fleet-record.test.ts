import { describe, expect, it } from 'vitest';
import { errorCodeOf } from '../errors/app-error';
import type {
  CancelInfo,
  MarketplaceSnapshot,
  OrderIntent,
  OrdersSnapshot,
  OrphanRecord,
} from './fleet-records';
import { orphanReapableAt } from './fleet-records';
import type { Order } from './provider-model';
import { fleetRecordJson, parseFleetHash, parseFleetRecord, readFleetRecord } from './read-fleet-record';

/** An order with every field set: a field the schema lacked would be dropped on a read-modify-write. */
const ORDER: Order = {
  id: 11,
  serverId: 101,
  currency: 'USD-Blockchain',
  pricePerDay: 24,
  creationFee: 0.1,
  spend: 0.5,
  createdAt: 1_700_000_000,
  expired: false,
  active: true,
  online: true,
  monContainer: 2,
  containerUp: true,
  deployed: true,
  ready: true,
  ssh: { host: '127.0.0.1', port: 2222, user: 'root' },
  spot: false,
  image: 'ubuntu:22.04',
  mrlHours: 72,
  orderEnd: 1_700_259_200,
  fee: 0.02,
  gpuCount: 1,
  totalGpus: 2,
  gpuArray: ['NVIDIA GeForce RTX 4090'],
  ownerId: 7,
  rating: { avg: 4.5, cnt: 10 },
  reliability: 0.99,
  cudaVersion: '12.4',
  providerStatus: 'running',
};

const SNAPSHOT: OrdersSnapshot = {
  version: 1_700_000_000_123,
  at: 1_700_000_000_500,
  startedAt: 1_700_000_000_100,
  answeredAt: 1_700_000_000_400,
  orders: [ORDER],
  missing: [
    { id: 12, order: { ...ORDER, id: 12 }, sinceMs: 5, missesAfterCancel: 1, misses: 2, unreadable: true },
  ],
  firstSeenAt: { '11': 1, '12': 2 },
  absentBefore: { '11': 0 },
  ended: [{ ...ORDER, id: 13, expired: true, active: false, ready: false }],
  endedIds: [14],
  endedByCancel: [13],
  nextPollInMs: 1_000,
};

const MARKET: MarketplaceSnapshot = {
  at: 1,
  servers: [
    {
      id: 5,
      ownerId: 3,
      gpus: ['RTX 4090', 'RTX 4090'],
      gpuCount: 2,
      gpuModel: '2x RTX 4090',
      vramGb: 24,
      reliability: 0.98,
      rented: false,
      online: true,
      gigaspot: false,
      allowedCurrencies: ['USD-Blockchain'],
      mrlHours: 100,
      pricePerDay: { onDemand: { 'USD-Blockchain': 24 }, spot: { 'USD-Blockchain': 12 } },
      usdPerHour: { onDemand: { 'USD-Blockchain': 1 }, spot: 0.5 },
      rating: { average: 4.9, count: 3 },
      cudaVersion: '12.4',
      specs: {
        cpu: 'EPYC',
        cpuThreads: '32',
        ramGb: 64,
        disk: 'nvme',
        diskSpeedMbps: 1,
        netUpMbps: 2,
        netDownMbps: 3,
        country: 'DE',
      },
    },
  ],
  usdRates: { 'USD-Blockchain': 1, 'CLORE-Blockchain': 0.03 },
};

const INTENT: OrderIntent = {
  jobId: 'j1',
  attempt: 1,
  serverId: 5,
  at: 1,
  settledAt: 2,
  orderId: 11,
  boundAt: 3,
};
const ORPHAN: OrphanRecord = {
  orderId: 11,
  serverId: 5,
  jobId: 'j1',
  attempt: 1,
  firstSeen: 1_000,
  orderFirstSeen: 900,
  lastSeen: 2_000,
  reapedAt: 3_000,
  endedAt: 4_000,
};
const CANCEL: CancelInfo = {
  orderId: 11,
  jobId: 'j1',
  reason: 'orphan',
  requestedAt: 1,
  sends: 2,
  lastSentAt: 3,
  acceptedAt: 4,
  provenEndedAt: 5,
  provenBy: 'order_not_active',
};

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('fleet records', () => {
  it('reads back every field of every record it stored', () => {
    expect(parseFleetRecord('ordersSnapshot', fleetRecordJson('ordersSnapshot', SNAPSHOT))).toEqual(SNAPSHOT);
    expect(parseFleetRecord('marketplace', fleetRecordJson('marketplace', MARKET))).toEqual(MARKET);
    expect(parseFleetRecord('intent', fleetRecordJson('intent', INTENT))).toEqual(INTENT);
    expect(parseFleetRecord('orphan', fleetRecordJson('orphan', ORPHAN))).toEqual(ORPHAN);
    expect(parseFleetRecord('cancelInfo', fleetRecordJson('cancelInfo', CANCEL))).toEqual(CANCEL);
    const foreign = { orderId: 1, serverId: 2, firstSeen: 3 };
    expect(parseFleetRecord('foreignOrder', fleetRecordJson('foreignOrder', foreign))).toEqual(foreign);
  });

  it('reads a snapshot written by an older leader (no startedAt, firstSeenAt, missing, ...)', () => {
    const old = { version: 3, at: 1, orders: [ORDER], ended: [] };
    expect(parseFleetRecord('ordersSnapshot', JSON.stringify(old))).toEqual(old);
  });

  it('throws FLEET_RECORD_MALFORMED, naming the bad fields but not their values, on an unreadable record', () => {
    const notJson = thrown(() => parseFleetRecord('ordersSnapshot', '{"version": 1, "orders": ['));
    expect(errorCodeOf(notJson)).toBe('FLEET_RECORD_MALFORMED');
    expect((notJson as Error).message).toContain('is not JSON');

    const wrong = JSON.stringify({ ...SNAPSHOT, orders: [{ ...ORDER, spend: 'secret-ish-text' }] });
    const error = thrown(() => parseFleetRecord('ordersSnapshot', wrong)) as Error & { details: unknown };
    expect(errorCodeOf(error)).toBe('FLEET_RECORD_MALFORMED');
    expect(error.message).toContain('orders.0.spend');
    expect(error.message).not.toContain('secret-ish-text');
    expect(error.details).toMatchObject({ record: 'ordersSnapshot' });
    // Absent is not malformed: only a missing key reads as "none".
    expect(readFleetRecord('ordersSnapshot', null)).toBeUndefined();
    expect(errorCodeOf(thrown(() => readFleetRecord('ordersSnapshot', 'null')))).toBe(
      'FLEET_RECORD_MALFORMED',
    );
  });

  it('splits a hash into its readable records and the fields of the malformed ones', () => {
    const { records, malformed } = parseFleetHash('intent', {
      'j1:1:5': JSON.stringify(INTENT),
      'junk:1': '{not json',
      'j2:1:6': JSON.stringify({ jobId: 'j2', attempt: 1 }),
    });
    expect([...records]).toEqual([['j1:1:5', INTENT]]);
    expect(malformed.sort()).toEqual(['j2:1:6', 'junk:1']);
  });

  it('refuses to store a record its readers could not read', () => {
    const bad = { ...CANCEL, sends: Number.NaN };
    expect(errorCodeOf(thrown(() => fleetRecordJson('cancelInfo', bad)))).toBe('FLEET_RECORD_MALFORMED');
  });

  it("gives the reaper's and the dashboard's reapable time: after the grace from firstSeen", () => {
    expect(orphanReapableAt(ORPHAN, 120_000)).toBe(121_000);
  });
});
