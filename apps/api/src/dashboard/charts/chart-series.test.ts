import { describe, expect, it } from 'vitest';
import { bucketsFor, HOUR_MS } from './chart-data';
import type { JobFacts } from './chart-jobs';
import {
  baseOf,
  failuresChart,
  provisioningChart,
  queueChart,
  spendByGpuChart,
  spendChart,
  startsChart,
} from './chart-series';

const NOW = Date.UTC(2026, 11, 7, 5, 30);
const at = (hoursAgo: number) => NOW - hoursAgo * HOUR_MS;

const jobs: JobFacts[] = [
  {
    id: 'a',
    owner: 'alice',
    state: 'succeeded',
    createdAt: at(3.2),
    startedAt: at(3),
    finishedAt: at(1),
    attempts: [
      {
        gpu: 'RTX 4090',
        startedAt: at(3),
        readyAt: at(3) + 45_000,
        endedAt: at(1),
        spentUsd: 2,
        endReason: 'completed',
      },
    ],
  },
  {
    id: 'b',
    owner: 'bob',
    state: 'failed',
    reason: 'ssh_error',
    createdAt: at(2.5),
    startedAt: at(2),
    finishedAt: at(1.5),
    attempts: [
      { gpu: 'RTX 3090', startedAt: at(2), endedAt: at(1.5), spentUsd: 0.5, endReason: 'ssh_error' },
    ],
  },
];

describe('chart series', () => {
  const b = bucketsFor('24h', NOW);
  const base = baseOf('24h', b);

  it('spreads each attempt’s spend over the hours it ran and runs a total per UTC day, with caps as lines', () => {
    const chart = spendChart(jobs, b, base, { alice: { dailySpendUsd: 10 } });
    expect(b.starts).toHaveLength(24);
    expect(chart.series.map((s) => s.label)).toEqual(['alice', 'bob', 'daily cap alice']);
    const alice = chart.series[0]?.values ?? [];
    expect(alice.at(-1)).toBeCloseTo(2); // all of it today (UTC)
    expect(alice.at(-4)).toBeCloseTo(0.5); // 02:00–03:00 UTC: the attempt ran from 02:30, at $1/h
    expect(alice.at(-5)).toBe(0);
    expect(chart.series[2]?.values.every((v) => v === 10)).toBe(true);
    expect(chart.timeZone).toBe('UTC');
  });

  it('sums spend by GPU model, largest first', () => {
    const chart = spendByGpuChart(jobs, b, base);
    expect(chart.categories).toEqual(['RTX 4090', 'RTX 3090']);
    expect(chart.series[0]?.values).toEqual([2, 0.5]);
  });

  it('bins create → SSH ready per GPU model, counts failures by reason, starts against the ceiling', () => {
    const prov = provisioningChart(jobs, b, base);
    expect(prov.series).toEqual([{ label: 'RTX 4090', values: [0, 1, 0, 0, 0, 0, 0], kind: 'bar' }]);
    const failures = failuresChart(jobs, b, base);
    expect(failures.categories).toEqual(['ssh_error']);
    expect(failures.series.map((s) => s.values)).toEqual([[1], [1]]);
    const starts = startsChart(jobs, bucketsFor('24h', NOW, true), base, 5_200);
    expect(starts.series[0]?.values.reduce((x, y) => (x ?? 0) + (y ?? 0), 0)).toBe(2);
    expect(starts.series[2]?.values[0]).toBe(692);
  });

  it('averages queue-depth samples per bucket and the wait from submit to start', () => {
    const chart = queueChart(
      jobs,
      [
        { at: at(0.2), queued: 4, provisioning: 1 },
        { at: at(0.1), queued: 2, provisioning: 1 },
      ],
      b,
      base,
    );
    expect(chart.series[0]?.values.at(-1)).toBe(3);
    expect(chart.series[0]?.values[0]).toBeNull();
    expect(chart.series[2]?.values.filter((v) => v !== null)).toEqual([720, 1800]);
  });
});
