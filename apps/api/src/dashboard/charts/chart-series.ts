import { limitsFor, type TenantLimits } from '@clore-batch/shared';
import {
  type Buckets,
  bucketOf,
  type ChartData,
  type ChartRange,
  type ChartSeries,
  DAY_MS,
  round,
  spread,
} from './chart-data';
import type { JobFacts } from './chart-jobs';

type Base = Pick<ChartData, 'range' | 'from' | 'to' | 'timeZone'>;
const timeAxis = (b: Buckets) => ({ x: b.starts.map((at) => at / 1000), bucketSeconds: b.sizeMs / 1000 });
const zeros = (b: Buckets) => b.starts.map(() => 0);
const bucketWord = (b: Buckets) => (b.sizeMs === DAY_MS ? 'day' : 'hour');

export function baseOf(range: ChartRange, b: Buckets): Base {
  return {
    range,
    from: new Date(b.fromMs).toISOString(),
    to: new Date(b.toMs).toISOString(),
    timeZone: 'UTC',
  };
}

/** Spend per tenant, as a running total within each UTC day (so it meets the daily cap lines). */
export function spendChart(
  jobs: readonly JobFacts[],
  b: Buckets,
  base: Base,
  limits: TenantLimits,
): ChartData {
  const perTenant = new Map<string, number[]>();
  for (const job of jobs) {
    const values = perTenant.get(job.owner) ?? zeros(b);
    perTenant.set(job.owner, values);
    for (const a of job.attempts) {
      spread(b, a.startedAt, a.endedAt ?? b.toMs, a.spentUsd, values);
    }
  }
  const tenants = [...perTenant.keys()].sort();
  const series: ChartSeries[] = tenants.map((tenant) => {
    let sum = 0;
    const values = (perTenant.get(tenant) ?? []).map((v, i) => {
      if ((b.starts[i] ?? 0) % DAY_MS === 0) {
        sum = 0;
      }
      sum += v;
      return round(sum);
    });
    return { label: tenant, values, kind: 'area' };
  });
  const caps = tenants.flatMap((tenant): ChartSeries[] => {
    const cap = limitsFor(limits, tenant)?.dailySpendUsd;
    return cap === undefined
      ? []
      : [{ label: `daily cap ${tenant}`, values: b.starts.map(() => cap), kind: 'line' }];
  });
  return {
    chart: 'spend',
    title: 'Spend by tenant (running total per UTC day) and daily spend caps',
    ...base,
    ...timeAxis(b),
    xLabel: `${bucketWord(b)} (UTC)`,
    yLabel: 'USD spent that day',
    stacked: true,
    series: [...series, ...caps],
    ...(caps.length === 0 ? { note: 'No daily spend cap is set (TENANT_LIMITS dailySpendUsd).' } : {}),
  };
}

/** Spend in the range by the GPU model of the server that billed it. */
export function spendByGpuChart(jobs: readonly JobFacts[], b: Buckets, base: Base): ChartData {
  const byGpu = new Map<string, number>();
  const one = [0];
  const whole: Buckets = { ...b, sizeMs: b.toMs - b.fromMs + 1, starts: [b.fromMs] };
  for (const job of jobs) {
    for (const a of job.attempts) {
      one[0] = 0;
      spread(whole, a.startedAt, a.endedAt ?? b.toMs, a.spentUsd, one);
      byGpu.set(a.gpu, (byGpu.get(a.gpu) ?? 0) + (one[0] ?? 0));
    }
  }
  const rows = [...byGpu].sort((x, y) => y[1] - x[1]);
  return {
    chart: 'spend-by-gpu',
    title: 'Spend by GPU model',
    ...base,
    categories: rows.map(([gpu]) => gpu),
    xLabel: 'GPU model',
    yLabel: 'USD',
    stacked: false,
    series: [{ label: 'spent (USD)', values: rows.map(([, usd]) => round(usd)), kind: 'bar' }],
  };
}

/** A queue-depth sample: time (ms), jobs queued, jobs provisioning. */
export interface DepthSample {
  at: number;
  queued: number;
  provisioning: number;
}

/** Queue depth (mean of the samples per bucket) and the mean wait from submit to leaving the queue. */
export function queueChart(
  jobs: readonly JobFacts[],
  samples: readonly DepthSample[],
  b: Buckets,
  base: Base,
): ChartData {
  const mean = (sums: number[], counts: number[]) =>
    sums.map((sum, i) => ((counts[i] ?? 0) === 0 ? null : round(sum / (counts[i] ?? 1), 2)));
  const [queued, provisioning, sampleCount, wait, waitCount] = [
    zeros(b),
    zeros(b),
    zeros(b),
    zeros(b),
    zeros(b),
  ];
  for (const s of samples) {
    const i = bucketOf(b, s.at);
    if (i < 0) {
      continue;
    }
    queued[i] = (queued[i] ?? 0) + s.queued;
    provisioning[i] = (provisioning[i] ?? 0) + s.provisioning;
    sampleCount[i] = (sampleCount[i] ?? 0) + 1;
  }
  for (const job of jobs) {
    const i = job.startedAt === undefined ? -1 : bucketOf(b, job.startedAt);
    if (i < 0 || job.startedAt === undefined) {
      continue;
    }
    wait[i] = (wait[i] ?? 0) + (job.startedAt - job.createdAt) / 1000;
    waitCount[i] = (waitCount[i] ?? 0) + 1;
  }
  return {
    chart: 'queue',
    title: 'Queue depth and queue wait',
    ...base,
    ...timeAxis(b),
    xLabel: `${bucketWord(b)} (UTC)`,
    yLabel: 'jobs (mean of samples)',
    y2Label: 'queue wait (s)',
    stacked: false,
    series: [
      { label: 'queued', values: mean(queued, sampleCount), kind: 'line' },
      { label: 'provisioning', values: mean(provisioning, sampleCount), kind: 'line' },
      {
        label: 'mean wait from submit to leaving the queue (s)',
        values: mean(wait, waitCount),
        kind: 'line',
        scale: 'y2',
      },
    ],
  };
}

/** Upper bounds (s) of the provisioning-time bins; the last bin is open. */
export const PROVISION_BINS = [30, 60, 120, 300, 600, 1200] as const;
const binLabels = [
  ...PROVISION_BINS.map((upper, i) => `${i === 0 ? 0 : PROVISION_BINS[i - 1]}–${upper} s`),
  `≥ ${PROVISION_BINS[PROVISION_BINS.length - 1]} s`,
];

/** How long servers took from the order's create to answering SSH, binned, per GPU model. */
export function provisioningChart(jobs: readonly JobFacts[], b: Buckets, base: Base): ChartData {
  const byGpu = new Map<string, number[]>();
  for (const job of jobs) {
    for (const a of job.attempts) {
      if (a.readyAt === undefined || bucketOf(b, a.startedAt) < 0) {
        continue;
      }
      const seconds = (a.readyAt - a.startedAt) / 1000;
      const bin = PROVISION_BINS.findIndex((upper) => seconds < upper);
      const counts = byGpu.get(a.gpu) ?? binLabels.map(() => 0);
      byGpu.set(a.gpu, counts);
      const at = bin < 0 ? binLabels.length - 1 : bin;
      counts[at] = (counts[at] ?? 0) + 1;
    }
  }
  return {
    chart: 'provisioning',
    title: 'Provisioning time (order create → SSH ready) by GPU model',
    ...base,
    categories: binLabels,
    xLabel: 'create → SSH ready',
    yLabel: 'attempts',
    stacked: true,
    series: [...byGpu].sort().map(([gpu, values]) => ({ label: gpu, values, kind: 'bar' })),
  };
}

/** Failed jobs by their reason, and failed attempts (retried or not) by theirs. */
export function failuresChart(jobs: readonly JobFacts[], b: Buckets, base: Base): ChartData {
  const failedJobs = new Map<string, number>();
  const failedAttempts = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const job of jobs) {
    if (job.state === 'failed' && job.finishedAt !== undefined && bucketOf(b, job.finishedAt) >= 0) {
      bump(failedJobs, job.reason ?? 'unknown');
    }
    for (const a of job.attempts) {
      const ended = a.endedAt !== undefined && bucketOf(b, a.endedAt) >= 0;
      if (ended && a.endReason !== undefined && a.endReason !== 'completed' && a.endReason !== 'cancelled') {
        bump(failedAttempts, a.endReason);
      }
    }
  }
  const reasons = [...new Set([...failedJobs.keys(), ...failedAttempts.keys()])].sort(
    (x, y) => (failedJobs.get(y) ?? 0) - (failedJobs.get(x) ?? 0) || x.localeCompare(y),
  );
  return {
    chart: 'failures',
    title: 'Failures by reason',
    ...base,
    categories: reasons,
    xLabel: 'reason',
    yLabel: 'count',
    stacked: false,
    series: [
      { label: 'failed attempts', values: reasons.map((r) => failedAttempts.get(r) ?? 0), kind: 'bar' },
      { label: 'failed jobs', values: reasons.map((r) => failedJobs.get(r) ?? 0), kind: 'bar' },
    ],
  };
}

/** Orders created (attempts started) and jobs started per UTC hour, against the create ceiling. */
export function startsChart(
  jobs: readonly JobFacts[],
  b: Buckets,
  base: Base,
  createSpacingMs: number,
): ChartData {
  const [attempts, started] = [zeros(b), zeros(b)];
  for (const job of jobs) {
    const i = job.startedAt === undefined ? -1 : bucketOf(b, job.startedAt);
    if (i >= 0) {
      started[i] = (started[i] ?? 0) + 1;
    }
    for (const a of job.attempts) {
      const j = bucketOf(b, a.startedAt);
      if (j >= 0) {
        attempts[j] = (attempts[j] ?? 0) + 1;
      }
    }
  }
  const ceiling = Math.floor(3_600_000 / createSpacingMs);
  return {
    chart: 'starts',
    title: 'Jobs started and orders created per hour, against the create ceiling',
    ...base,
    ...timeAxis(b),
    xLabel: 'hour (UTC)',
    yLabel: 'per hour',
    stacked: false,
    series: [
      { label: 'orders created (attempts)', values: attempts, kind: 'bar' },
      { label: 'jobs started', values: started, kind: 'line' },
      {
        label: `create ceiling (1 per ${createSpacingMs} ms)`,
        values: b.starts.map(() => ceiling),
        kind: 'line',
      },
    ],
  };
}
