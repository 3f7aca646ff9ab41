import { shortGpuName } from '@clore-batch/shared';
import type { ApiJob } from '../api/api-job';
import { EXIT } from '../cli/exit-codes';
import { formatTable } from '../format/table';
import { formatDuration, formatUsd } from '../format/units';
import { type CommandContext, type OutputFlags, printJson } from './context';

export interface ListFlags extends OutputFlags {
  state?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
  /** Only this sweep's jobs, in index order. */
  sweep?: string;
}

/** The GPU a job ran on (its latest attempt's), else the models its spec asks for. */
export function jobGpu(job: ApiJob): string {
  const attempt = job.attempts?.at(-1);
  if (attempt?.gpu) {
    return `${attempt.gpuCount ?? 1}x ${shortGpuName(attempt.gpu)}`;
  }
  const gpu = (job.spec as { gpu?: { model?: unknown; count?: unknown } } | undefined)?.gpu;
  const models = Array.isArray(gpu?.model) ? gpu.model.map(String) : [];
  return models.length === 0 ? '' : `${typeof gpu?.count === 'number' ? gpu.count : 1}x ${models.join('|')}`;
}

/** How long a job has run: from leaving `queued` to its end (or now); '' before it started. */
export function jobDuration(job: ApiJob, now: number): string {
  if (!job.startedAt) {
    return '';
  }
  const end = job.finishedAt ? Date.parse(job.finishedAt) : now;
  return formatDuration(end - Date.parse(job.startedAt));
}

/** `list`: the caller's jobs, newest first; --all follows the cursor to the last page. */
export async function listCommand(ctx: CommandContext, flags: ListFlags): Promise<number> {
  const client = ctx.client();
  const jobs: ApiJob[] = [];
  let cursor = flags.cursor;
  let nextCursor: string | undefined;
  do {
    const page = await client.listJobs({
      state: flags.state,
      limit: flags.limit ?? 20,
      cursor,
      ...(flags.sweep === undefined ? {} : { sweepId: flags.sweep }),
    });
    jobs.push(...page.jobs);
    nextCursor = page.nextCursor;
    cursor = nextCursor;
  } while (flags.all && cursor);
  if (flags.json) {
    printJson(ctx.io, { jobs, ...(nextCursor ? { nextCursor } : {}) });
    return EXIT.ok;
  }
  const now = Date.now();
  const rows = jobs.map((job) => [
    job.id,
    job.state,
    job.reason ? `${job.reason}${typeof job.exitCode === 'number' ? `(${job.exitCode})` : ''}` : '',
    jobGpu(job),
    jobDuration(job, now),
    formatUsd(job.costUsd ?? 0),
    job.createdAt?.slice(0, 19).replace('T', ' ') ?? '',
    job.name ?? '',
  ]);
  const header = ['ID', 'STATE', 'REASON', 'GPU', 'DURATION', 'COST', 'CREATED (UTC)', 'NAME'];
  ctx.io.stdout.write(formatTable(header, rows));
  if (nextCursor && !flags.quiet) {
    ctx.io.stderr.write(`clore-batch: more jobs: --cursor ${nextCursor} (or --all)\n`);
  }
  return EXIT.ok;
}
