import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { usageError } from '../cli/cli-error';
import { EXIT } from '../cli/exit-codes';
import { finalLine, outcomeOf } from '../wait/outcome';
import { waitForJob } from '../wait/wait-for-job';
import { type CommandContext, type OutputFlags, say } from './context';
import { tailLog } from './log-tail';

/**
 * `logs ID`: the output so far (`--tail N`: its last N lines). `logs ID --follow`: the whole output from the start, streamed until
 * the job ends, then exit with the job's outcome (as `submit --wait` would); Ctrl-C only stops
 * following, it never cancels.
 */
export async function logsCommand(
  ctx: CommandContext,
  jobId: string,
  flags: OutputFlags & { follow?: boolean; tail?: number },
): Promise<number> {
  const client = ctx.client();
  if (flags.tail !== undefined) {
    if (flags.follow) {
      throw usageError('--tail prints the last lines of the log so far; --follow streams it from the start');
    }
    ctx.io.stdout.write(await tailLog(client, jobId, flags.tail));
    return EXIT.ok;
  }
  if (!flags.follow) {
    const response = await client.logText(jobId);
    if (response.body) {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), ctx.io.stdout, {
        end: false,
      });
    }
    return EXIT.ok;
  }
  const io = { ...ctx.io, canAsk: false };
  const job = await waitForJob({
    client,
    io,
    jobId,
    json: false,
    quiet: flags.quiet === true,
    cancelOnInterrupt: false,
  });
  const outcome = outcomeOf(job);
  say(ctx.io, flags, finalLine(job, outcome, undefined).replace(/^clore-batch: /, ''));
  return outcome.code;
}
