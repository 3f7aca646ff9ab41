import { it } from '@clore-batch/testing/fixtures';
import { describe, expect } from 'vitest';
import { createTelemetryCounters, labelKey, parseLabelKey } from './counters';

describe('telemetry counters', () => {
  it('adds across writers and reads back per label set', async ({ redis, prefix }) => {
    const a = createTelemetryCounters(redis, prefix);
    const b = createTelemetryCounters(redis, prefix);
    await a.add('calls', { endpoint: 'marketplace', code: 0 });
    await b.add('calls', { code: 0, endpoint: 'marketplace' }, 2);
    await b.add('calls', { endpoint: 'create_order', code: 5 });
    await a.observe('wait', 0.25, { lane: 'cancel' });
    await a.observe('wait', 0.75, { lane: 'cancel' });
    await a.set('active', 4);
    await b.set('active', 2);
    expect(await a.read('active')).toEqual([{ labels: {}, value: 2 }]);
    const calls = await a.read('calls');
    expect(calls).toEqual(
      expect.arrayContaining([
        { labels: { code: '0', endpoint: 'marketplace' }, value: 3 },
        { labels: { code: '5', endpoint: 'create_order' }, value: 1 },
      ]),
    );
    expect(await a.read('wait_sum')).toEqual([{ labels: { lane: 'cancel' }, value: 1 }]);
    expect(await a.read('wait_count')).toEqual([{ labels: { lane: 'cancel' }, value: 2 }]);
  });

  it('round-trips label keys and neutralises separators', () => {
    expect(parseLabelKey(labelKey({ b: 'x,y', a: 1 }))).toEqual({ a: '1', b: 'x_y' });
  });
});
