import { main } from './cli/main';
import { noSandboxCommand } from './cli/no-sandbox';

// The packaged `clore-batch` (`pnpm pack:cli` bundles this file alone, scripts/pack.ts): every
// command but `sandbox`, so the bundle holds no simulator, API, worker, Redis or SSH code.
await main([noSandboxCommand]);
