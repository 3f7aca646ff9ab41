import { HELP, optionsFromArgs } from './cli-options';
import type { SimOptions } from './options';
import { startSimulator } from './start';

/** The `clore-sim` command: start the simulator, print its URL and keys, stop everything on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let options: SimOptions | 'help';
  try {
    options = optionsFromArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`clore-sim: ${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const handle = await startSimulator(options);
  process.stdout.write(
    `clore-sim listening on ${handle.url} (API ${handle.url}/v1/..., control ${handle.url}/_sim/...)\n` +
      `API keys: ${handle.keys.join(', ')}\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    process.stdout.write(`clore-sim: ${signal}, stopping every order and sshd\n`);
    handle.close().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`clore-sim: close failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
