import type { ApiJob } from '../api/api-job';
import { EXIT } from '../cli/exit-codes';
import { formatDuration, formatUsd } from '../format/units';
import { type CommandContext, type OutputFlags, printJson } from './context';

/** `status ID`: the job, as text or (--json) as the API returned it. */
export async function statusCommand(ctx: CommandContext, jobId: string, flags: OutputFlags): Promise<number> {
  const job = await ctx.client().getJob(jobId);
  if (flags.json) {
    printJson(ctx.io, job);
  } else {
    ctx.io.stdout.write(describeJob(job, Date.now()));
  }
  return EXIT.ok;
}

export function describeJob(job: ApiJob, now: number): string {
  const rows: Array<[string, string]> = [];
  let state = job.state as string;
  if (job.reason) {
    state += ` (${job.reason}${typeof job.exitCode === 'number' ? `, exit code ${job.exitCode}` : ''})`;
  } else if (job.state === 'succeeded') {
    state += ' (exit code 0)';
  }
  rows.push(['state', state]);
  if (job.message) {
    rows.push(['message', job.message]);
  }
  if (job.createdAt) {
    const end = job.finishedAt ? Date.parse(job.finishedAt) : now;
    rows.push([
      'created',
      `${job.createdAt} (${formatDuration(end - Date.parse(job.createdAt))}${job.finishedAt ? ' total' : ' ago'})`,
    ]);
  }
  if (job.cancelRequestedAt) {
    rows.push(['cancel', `requested ${job.cancelRequestedAt}`]);
  }
  rows.push(['cost', formatUsd(job.costUsd ?? 0)]);
  for (const attempt of job.attempts ?? []) {
    const gpu = attempt.gpu
      ? ` ${attempt.gpuCount && attempt.gpuCount > 1 ? `${attempt.gpuCount}x ` : ''}${attempt.gpu}`
      : '';
    const price = attempt.pricePerHourUsd === undefined ? '' : ` at ${formatUsd(attempt.pricePerHourUsd)}/h`;
    const order = attempt.orderId === undefined ? '' : ` order ${attempt.orderId}`;
    const end = attempt.endReason ? `, ${attempt.endReason}` : attempt.endedAt ? '' : ', current';
    rows.push([
      `attempt ${attempt.n ?? '?'}`,
      `server ${attempt.serverId ?? '?'}${gpu}${price}${order}, spent ${formatUsd(attempt.spentUsd ?? 0)}${end}`,
    ]);
  }
  const outputs = job.outputs ?? [];
  if (outputs.length > 0) {
    rows.push(['outputs', `${outputs.length} file(s): clore-batch outputs ${job.id} --dir DIR`]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  const title = `job ${job.id}${job.name ? ` (${job.name})` : ''}\n`;
  return title + rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}\n`).join('');
}
