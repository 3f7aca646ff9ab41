import type { ApiClient } from '../api/api-client';
import { ApiError } from '../api/api-error';
import type { ApiJob } from '../api/api-job';
import { CliError, usageError } from '../cli/cli-error';
import { EXIT } from '../cli/exit-codes';
import { type CommandContext, type OutputFlags, printJson, say } from './context';

/** The job to cancel: the id given, or the one submitted under `--idempotency-key`. */
async function targetOf(client: ApiClient, id: string | undefined, key: string | undefined): Promise<string> {
  if ((id === undefined) === (key === undefined)) {
    throw usageError('cancel needs a job id or --idempotency-key K (one of them)');
  }
  if (id !== undefined) {
    return id;
  }
  const job = await client.jobByIdempotencyKey(key as string);
  if (job === undefined) {
    throw new CliError(
      EXIT.notFound,
      `no job of this token was submitted with Idempotency-Key ${JSON.stringify(key)} (keys are kept 24 h)`,
    );
  }
  return job.id;
}

/**
 * `cancel ID` or `cancel --idempotency-key K` (the job a CI run submitted under its key): ask the
 * API to cancel (202); the worker stops the command and cancels the rental. With --wait, poll until
 * the job is terminal. A job that already ended is not an error (exit 0, saying so): what the
 * caller wanted, a job that no longer runs, holds.
 */
export async function cancelCommand(
  ctx: CommandContext,
  id: string | undefined,
  flags: OutputFlags & { wait?: boolean; idempotencyKey?: string },
): Promise<number> {
  const client = ctx.client();
  const jobId = await targetOf(client, id, flags.idempotencyKey);
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
