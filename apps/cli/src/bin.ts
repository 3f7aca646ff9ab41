import { processIo } from './cli/io';
import { runCli } from './cli/program';

// The `clore-batch` command (bin/clore-batch.mjs registers tsx and imports this).

// `clore-batch logs ID | head`: the reader went away; stop quietly instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      process.exit(0);
    }
    throw error;
  });
}

const code = await runCli(process.argv.slice(2), processIo());
// Exit now: an idle keep-alive socket must not keep the process (and a CI step) alive.
process.exit(code);
