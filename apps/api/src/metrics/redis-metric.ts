import type { TelemetryCounters } from '@clore-batch/shared';
import type { Metric } from 'prom-client';

type MetricType = 'counter' | 'gauge' | 'summary';

interface MetricValue {
  value: number;
  labels: Record<string, string>;
  metricName?: string;
}

/**
 * A Prometheus metric whose values live in Redis (written by any process with the telemetry
 * counters) and are read at scrape time. Summaries expose `<name>_sum` and `<name>_count` from the
 * counters' `observe`. Duck-typed to prom-client's metric interface (`name` + `get()`).
 */
export function redisMetric(options: {
  telemetry: TelemetryCounters;
  source: string;
  name: string;
  help: string;
  type: MetricType;
}): Metric {
  const { telemetry, source, name, help, type } = options;
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      let values: MetricValue[];
      if (type === 'summary') {
        const [sums, counts] = await Promise.all([
          telemetry.read(`${source}_sum`),
          telemetry.read(`${source}_count`),
        ]);
        values = [
          ...sums.map((v) => ({ ...v, metricName: `${name}_sum` })),
          ...counts.map((v) => ({ ...v, metricName: `${name}_count` })),
        ];
      } else {
        values = await telemetry.read(source);
      }
      return { name, help, type, aggregator: 'sum', values };
    },
  };
  return metric as unknown as Metric;
}
