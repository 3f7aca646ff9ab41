import type { JobState, JobStore } from '@clore-batch/shared';
import { jobRow, matchesSearch } from './job-rows';

/** The export stops here (newest first) and says so in its last line. */
export const CSV_MAX_ROWS = 10_000;

const COLUMNS = [
  'id',
  'name',
  'owner',
  'state',
  'reason',
  'exit_code',
  'gpu',
  'server_id',
  'order_id',
  'price_per_hour_usd',
  'duration_seconds',
  'cost_usd',
  'budget_usd',
  'attempts',
  'created_at_utc',
  'finished_at_utc',
  'sweep_id',
] as const;

/** One CSV field: quoted when it must be; a leading = + - @ is defused so a spreadsheet shows it as text. */
export function csvField(value: string | number | null | undefined): string {
  if (value === undefined || value === null) {
    return '';
  }
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) {
    text = `'${text}`;
  }
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The job list (filters as the page's) as CSV, one row per job, newest first, with its cost in USD. */
export async function jobsCsv(
  store: JobStore,
  query: { state?: JobState; owner?: string; search?: string },
  now: Date,
): Promise<string> {
  const lines = [COLUMNS.join(',')];
  let cursor: string | undefined;
  let rows = 0;
  do {
    const page = await store.list({
      limit: 500,
      ...(query.state === undefined ? {} : { state: query.state }),
      ...(query.owner === undefined ? {} : { owner: query.owner }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const job of page.jobs) {
      if (query.search !== undefined && !matchesSearch(job, query.search)) {
        continue;
      }
      if (rows === CSV_MAX_ROWS) {
        lines.push(`# truncated: only the newest ${CSV_MAX_ROWS} jobs`);
        return `${lines.join('\r\n')}\r\n`;
      }
      const row = jobRow(job, now);
      const values = [
        row.id,
        row.name,
        row.owner,
        row.state,
        row.reason,
        row.exitCode,
        row.gpu,
        row.serverId,
        row.orderId,
        row.pricePerHourUsd,
        row.durationSeconds,
        row.costUsd.toFixed(6),
        row.budgetUsd,
        row.attempts,
        row.createdAt,
        job.finishedAt,
        row.sweepId,
      ];
      lines.push(values.map(csvField).join(','));
      rows += 1;
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return `${lines.join('\r\n')}\r\n`;
}
