import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EXIT } from '../cli/exit-codes';
import { finalLine, outcomeOf } from '../wait/outcome';
import { waitForJob } from '../wait/wait-for-job';
import { type CommandContext, type OutputFlags, say } from './context';

/**
 * `logs ID`: the output so far. `logs ID --follow`: the whole output from the start, streamed until
 * the job ends, then exit with the job's outcome (as `submit --wait` would); Ctrl-C only stops
 * following, it never cancels.
 */
export async function logsCommand(
  ctx: CommandContext,
  jobId: string,
  flags: OutputFlags & { follow?: boolean },
): Promise<number> {
  const client = ctx.client();
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
