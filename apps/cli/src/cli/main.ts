import { processIo } from './io';
import { type AddCommand, runCli } from './program';

/**
 * An entry point's whole job: run the CLI on this process's argv with `extra` commands added, then
 * exit with its code.
 */
export async function main(extra: readonly AddCommand[]): Promise<never> {
  // `clore-batch logs ID | head`: the reader went away; stop quietly instead of crashing on EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') {
        process.exit(0);
      }
      throw error;
    });
  }
  const code = await runCli(process.argv.slice(2), processIo(), extra);
  // Exit now: an idle keep-alive socket must not keep the process (and a CI step) alive.
  process.exit(code);
}
