import { ApiError } from '../api/api-error';
import type { ApiJob } from '../api/api-job';
import { EXIT } from '../cli/exit-codes';
import { type CommandContext, type OutputFlags, printJson, say } from './context';

/**
 * `cancel ID`: ask the API to cancel (202); the worker stops the command and cancels the rental.
 * With --wait, poll until the job is terminal. A job that already ended is not an error (exit 0,
 * saying so): what the caller wanted, a job that no longer runs, holds.
 */
export async function cancelCommand(
  ctx: CommandContext,
  jobId: string,
  flags: OutputFlags & { wait?: boolean },
): Promise<number> {
  const client = ctx.client();
  let job: ApiJob;
  try {
    job = await client.cancel(jobId);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'JOB_ALREADY_TERMINAL') {
      const ended = await client.getJob(jobId);
      flags.json
        ? printJson(ctx.io, ended)
        : say(ctx.io, flags, `job ${jobId} had already ended (${ended.state})`);
      return EXIT.ok;
    }
    throw error;
  }
  if (flags.wait) {
    say(ctx.io, flags, `cancel requested for job ${jobId}; waiting for it to end`);
    while (!['succeeded', 'failed', 'cancelled'].includes(job.state)) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      job = await client.getJob(jobId);
    }
  }
  if (flags.json) {
    printJson(ctx.io, job);
  } else {
    say(
      ctx.io,
      flags,
      flags.wait ? `job ${jobId} is ${job.state}` : `cancel requested for job ${jobId} (now ${job.state})`,
    );
  }
  return EXIT.ok;
}
