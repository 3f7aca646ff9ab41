import { processIo } from './cli/io';
import { runCli } from './cli/program';

// The `clore-batch` command (bin/clore-batch.mjs registers tsx and imports this).
const code = await runCli(process.argv.slice(2), processIo());
// Exit now: an idle keep-alive socket must not keep the process (and a CI step) alive.
process.exit(code);
