import { DEFAULT_LANE, type Endpoint, LANES } from '@clore-batch/clore';
import { METRICS, type TelemetryCounters } from '@clore-batch/shared';

export interface LimiterView {
  /**
   * Per lane, since the counters began: seconds spent waiting in total, the calls made in that
   * lane (observations when the writer records them, else answers of the endpoints whose default
   * lane it is) and the mean wait per call.
   */
  lanes: { lane: string; totalSeconds: number; count?: number; meanSeconds?: number }[];
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
  const [waitTotal, waitSum, waitCount, calls, code5, active, usd] = await Promise.all([
    counters.read(METRICS.limiterWait),
    counters.read(`${METRICS.limiterWait}_sum`),
    counters.read(`${METRICS.limiterWait}_count`),
    counters.read(METRICS.cloreCalls),
    counters.read(METRICS.code5Answers),
    counters.read(METRICS.activeOrders),
    counters.read(METRICS.usdSpent),
  ]);
  // The worker adds each wait to a plain counter (seconds per lane); `observe` writers add _sum/_count.
  const lanes = new Map<string, { count?: number; totalSeconds: number }>(
    LANES.map((lane) => [lane, { totalSeconds: 0 }]),
  );
  const laneOf = (labels: Record<string, string>) => {
    const name = labels.lane ?? 'unknown';
    const lane = lanes.get(name) ?? { totalSeconds: 0 };
    lanes.set(name, lane);
    return lane;
  };
  for (const row of [...waitTotal, ...waitSum]) {
    laneOf(row.labels).totalSeconds += row.value;
  }
  for (const row of waitCount) {
    const lane = laneOf(row.labels);
    lane.count = (lane.count ?? 0) + row.value;
  }
  for (const row of calls) {
    const lane = DEFAULT_LANE[row.labels.endpoint as Endpoint] as string | undefined;
    if (lane !== undefined && waitCount.length === 0) {
      const entry = laneOf({ lane });
      entry.count = (entry.count ?? 0) + row.value;
    }
  }
  const callRows = calls
    .map((row) => ({ endpoint: row.labels.endpoint ?? '?', code: row.labels.code ?? '?', count: row.value }))
    .sort((a, b) => a.endpoint.localeCompare(b.endpoint) || a.code.localeCompare(b.code));
  const totalCalls = sumOf(calls);
  const view: LimiterView = {
    lanes: [...lanes].map(([lane, v]) =>
      v.count === undefined || v.count === 0
        ? { lane, totalSeconds: v.totalSeconds }
        : { lane, totalSeconds: v.totalSeconds, count: v.count, meanSeconds: v.totalSeconds / v.count },
    ),
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
