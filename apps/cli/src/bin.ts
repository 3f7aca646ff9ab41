import { main } from './cli/main';
import { sandboxCommand } from './sandbox/sandbox-command';

// The `clore-batch` command in the monorepo (bin/clore-batch.mjs registers tsx and imports this):
// every command plus `sandbox`, which needs the simulator, the API and the worker beside it.
await main([sandboxCommand]);
