import { LANES } from '@clore-batch/clore';
import { METRICS, type TelemetryCounters } from '@clore-batch/shared';

export interface LimiterView {
  /** Per lane, since the counters began: how many calls waited and for how long (seconds). */
  lanes: { lane: string; count: number; totalSeconds: number; meanSeconds: number }[];
  /** Calls by endpoint and answer code, since the counters began. */
  calls: { endpoint: string; code: string; count: number }[];
  totalCalls: number;
  /** Over the last minute of this API process's readings; undefined until two readings exist. */
  callsPerMinute?: number;
  code5Answers: number;
  activeOrders?: number;
  usdSpent: number;
}

/** Readings of the call total kept in memory to turn a counter into a rate. */
export interface RateWindow {
  record(at: number, total: number): number | undefined;
}

/**
 * Calls per minute from readings of a monotonic total: the rate between the newest reading and
 * the oldest one within the window (readings older than the window are dropped, but one is kept
 * so that a slow poller still gets a rate).
 */
export function createRateWindow(windowMs = 60_000): RateWindow {
  const readings: { at: number; total: number }[] = [];
  return {
    record(at, total) {
      readings.push({ at, total });
      while (readings.length > 2 && (readings[1]?.at ?? at) <= at - windowMs) {
        readings.shift();
      }
      const first = readings[0];
      if (first === undefined || at - first.at < 1_000) {
        return undefined;
      }
      return (Math.max(0, total - first.total) * 60_000) / (at - first.at);
    },
  };
}

const sumOf = (rows: { value: number }[]) => rows.reduce((acc, r) => acc + r.value, 0);

export async function readLimiterView(
  counters: TelemetryCounters,
  window: RateWindow,
  now: number,
): Promise<LimiterView> {
  const [waitSum, waitCount, calls, code5, active, usd] = await Promise.all([
    counters.read(`${METRICS.limiterWait}_sum`),
    counters.read(`${METRICS.limiterWait}_count`),
    counters.read(METRICS.cloreCalls),
    counters.read(METRICS.code5Answers),
    counters.read(METRICS.activeOrders),
    counters.read(METRICS.usdSpent),
  ]);
  const lanes = new Map<string, { count: number; totalSeconds: number }>(
    LANES.map((lane) => [lane, { count: 0, totalSeconds: 0 }]),
  );
  for (const row of waitSum) {
    const lane = lanes.get(row.labels.lane ?? 'unknown') ?? { count: 0, totalSeconds: 0 };
    lane.totalSeconds += row.value;
    lanes.set(row.labels.lane ?? 'unknown', lane);
  }
  for (const row of waitCount) {
    const lane = lanes.get(row.labels.lane ?? 'unknown') ?? { count: 0, totalSeconds: 0 };
    lane.count += row.value;
    lanes.set(row.labels.lane ?? 'unknown', lane);
  }
  const callRows = calls
    .map((row) => ({ endpoint: row.labels.endpoint ?? '?', code: row.labels.code ?? '?', count: row.value }))
    .sort((a, b) => a.endpoint.localeCompare(b.endpoint) || a.code.localeCompare(b.code));
  const totalCalls = sumOf(calls);
  const view: LimiterView = {
    lanes: [...lanes].map(([lane, v]) => ({
      lane,
      count: v.count,
      totalSeconds: v.totalSeconds,
      meanSeconds: v.count === 0 ? 0 : v.totalSeconds / v.count,
    })),
    calls: callRows,
    totalCalls,
    code5Answers: sumOf(code5),
    usdSpent: sumOf(usd),
  };
  const perMinute = window.record(now, totalCalls);
  if (perMinute !== undefined) {
    view.callsPerMinute = perMinute;
  }
  if (active.length > 0) {
    view.activeOrders = sumOf(active);
  }
  return view;
}
