import type { Command } from 'commander';
import { usageError } from './cli-error';

/**
 * The packaged CLI's `sandbox`: hidden from --help, it says where the sandbox is (a checkout of
 * clore-batch: it runs the simulator, the API and a worker, none of which the package carries).
 */
export function noSandboxCommand(program: Command): void {
  program
    .command('sandbox', { hidden: true })
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw usageError(
        'sandbox is not part of the installed CLI: run `pnpm sandbox` in a clone of clore-batch (see its README)',
      );
    });
}
