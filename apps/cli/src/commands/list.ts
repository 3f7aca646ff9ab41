import type { ApiJob } from '../api/api-job';
import { EXIT } from '../cli/exit-codes';
import { formatUsd } from '../format/units';
import { type CommandContext, type OutputFlags, printJson } from './context';

export interface ListFlags extends OutputFlags {
  state?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** `list`: the caller's jobs, newest first; --all follows the cursor to the last page. */
export async function listCommand(ctx: CommandContext, flags: ListFlags): Promise<number> {
  const client = ctx.client();
  const jobs: ApiJob[] = [];
  let cursor = flags.cursor;
  let nextCursor: string | undefined;
  do {
    const page = await client.listJobs({ state: flags.state, limit: flags.limit ?? 20, cursor });
    jobs.push(...page.jobs);
    nextCursor = page.nextCursor;
    cursor = nextCursor;
  } while (flags.all && cursor);
  if (flags.json) {
    printJson(ctx.io, { jobs, ...(nextCursor ? { nextCursor } : {}) });
    return EXIT.ok;
  }
  const rows = jobs.map((job) => [
    job.id,
    job.state,
    job.reason ? `${job.reason}${typeof job.exitCode === 'number' ? `(${job.exitCode})` : ''}` : '',
    formatUsd(job.costUsd ?? 0),
    job.createdAt?.slice(0, 19).replace('T', ' ') ?? '',
    job.name ?? '',
  ]);
  const header = ['ID', 'STATE', 'REASON', 'COST', 'CREATED (UTC)', 'NAME'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    `${cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`;
  ctx.io.stdout.write(line(header));
  for (const row of rows) {
    ctx.io.stdout.write(line(row));
  }
  if (nextCursor && !flags.quiet) {
    ctx.io.stderr.write(`clore-batch: more jobs: --cursor ${nextCursor} (or --all)\n`);
  }
  return EXIT.ok;
}
