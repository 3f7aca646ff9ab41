/** The JSON one chart route answers (GET /admin/api/charts/<chart>?range=24h|7d|30d). */
export interface ChartSeries {
  label: string;
  /** One value per x (null: nothing measured there). */
  values: (number | null)[];
  kind: 'area' | 'line' | 'bar';
  /** `y2`: the right-hand axis. */
  scale?: 'y' | 'y2';
}

export interface ChartData {
  chart: ChartName;
  title: string;
  range: ChartRange;
  from: string;
  to: string;
  /** Every time is UTC (bucket starts are UTC hours / days). */
  timeZone: 'UTC';
  /** Time axis: bucket starts in Unix seconds. Absent when `categories` is the x axis. */
  x?: number[];
  categories?: string[];
  bucketSeconds?: number;
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  /** The client stacks these series (spend by tenant, provisioning times by GPU). */
  stacked: boolean;
  series: ChartSeries[];
  /** What the reader should know to read it (e.g. no caps configured). */
  note?: string;
}

export const CHART_NAMES = ['spend', 'spend-by-gpu', 'queue', 'provisioning', 'failures', 'starts'] as const;
export type ChartName = (typeof CHART_NAMES)[number];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const CHART_RANGES = { '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS } as const;
export type ChartRange = keyof typeof CHART_RANGES;

/** A range's time buckets: UTC hours for 24 h, UTC days beyond (`hourly` forces hours). */
export interface Buckets {
  fromMs: number;
  toMs: number;
  sizeMs: number;
  starts: number[];
}

export function bucketsFor(range: ChartRange, nowMs: number, hourly = false): Buckets {
  const sizeMs = hourly || range === '24h' ? HOUR_MS : DAY_MS;
  const first = Math.floor((nowMs - CHART_RANGES[range]) / sizeMs) * sizeMs + sizeMs;
  const starts: number[] = [];
  for (let at = first; at <= nowMs; at += sizeMs) {
    starts.push(at);
  }
  return { fromMs: first, toMs: nowMs, sizeMs, starts };
}

/** The bucket index of `at`, or -1 outside the range. */
export function bucketOf(b: Buckets, at: number): number {
  if (at < b.fromMs || at > b.toMs) {
    return -1;
  }
  return Math.min(b.starts.length - 1, Math.floor((at - b.fromMs) / b.sizeMs));
}

/**
 * Add `amount`, spent evenly over [start, end), to the buckets it overlaps (clipped to the range).
 * An attempt is billed at a steady hourly rate, so its spend is shared out over the time it ran.
 */
export function spread(b: Buckets, start: number, end: number, amount: number, into: number[]): void {
  if (end <= start) {
    const i = bucketOf(b, start);
    if (i >= 0) {
      into[i] = (into[i] ?? 0) + amount;
    }
    return;
  }
  const from = Math.max(start, b.fromMs);
  const to = Math.min(end, b.toMs);
  for (let at = from; at < to; ) {
    const i = bucketOf(b, at);
    const bucketEnd = Math.min(to, (b.starts[i] ?? at) + b.sizeMs);
    into[i] = (into[i] ?? 0) + (amount * (bucketEnd - at)) / (end - start);
    at = bucketEnd;
  }
}

export const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;
