import type { Command } from 'commander';
import { CliError } from '../cli/cli-error';
import { EXIT } from '../cli/exit-codes';
import type { Io } from '../cli/io';
import { portNumber, positiveInt } from '../cli/parse-flags';
import { banner, realMoneyWarning } from './banner';
import { startSandbox } from './start-sandbox';

interface SandboxFlags {
  port?: number;
  provisioningMs?: [number, number];
  simGeneralMs?: number;
  simCreateMs?: number;
}

function range(value: string): [number, number] {
  const match = /^(\d+)-(\d+)$/.exec(value);
  if (!match || Number(match[1]) > Number(match[2])) {
    throw new Error(`'${value}' is not MIN-MAX in milliseconds`);
  }
  return [Number(match[1]), Number(match[2])];
}

/**
 * `clore-batch sandbox`: start Redis (REDIS_URL if it answers, else redis-server), the simulator,
 * the API and a worker; print the URL, a token and a first submit; on Ctrl-C/SIGTERM stop it all.
 * With CLORE_API_KEY set it uses the real Clore API instead of the simulator, and says so loudly.
 */
export function sandboxCommand(program: Command, io: Io, setCode: (code: number) => void): void {
  program
    .command('sandbox')
    .description('start Redis, a Clore simulator with real SSH hosts, the API and a worker on this machine')
    .addHelpText(
      'after',
      '\nREDIS_URL is used when it answers PING (under a fresh key prefix, deleted at exit); otherwise a\n' +
        'private redis-server is started. CLORE_API_KEY set = the REAL Clore API (real money).',
    )
    .option('--port <port>', 'API port (default $PORT or 8080; a free one if taken; 0 = any)', portNumber)
    .option('--provisioning-ms <min-max>', 'simulated server start-up time (default 2000-5000)', range)
    .option(
      '--sim-general-ms <ms>',
      'simulated Clore limit between calls (default 1000, the real one)',
      positiveInt,
    )
    .option(
      '--sim-create-ms <ms>',
      'simulated Clore limit between create_order calls (default 5000)',
      positiveInt,
    )
    .action(async (flags: SandboxFlags) => {
      setCode(await runSandbox(io, flags));
    });
}

async function runSandbox(io: Io, flags: SandboxFlags): Promise<number> {
  const apiKey = io.env.CLORE_API_KEY;
  const realClore = apiKey ? { apiKey, apiUrl: io.env.CLORE_API_URL ?? 'https://api.clore.ai' } : undefined;
  if (realClore) {
    io.stderr.write(`${realMoneyWarning(realClore.apiUrl)}\n`);
  }
  const envPort = io.env.PORT === undefined ? undefined : Number(io.env.PORT);
  const simLimits =
    flags.simGeneralMs !== undefined || flags.simCreateMs !== undefined
      ? { generalMs: flags.simGeneralMs ?? 1_000, createMs: flags.simCreateMs ?? 5_000 }
      : undefined;
  const interrupted = new AbortController();
  const stopSignal = new Promise<void>((resolve) =>
    interrupted.signal.addEventListener('abort', () => resolve()),
  );
  const unlisten = io.onSignal(() => interrupted.abort());
  try {
    const sandbox = await startSandbox({
      port: flags.port ?? (Number.isInteger(envPort) ? envPort : undefined),
      redisUrl: io.env.REDIS_URL,
      ...(realClore ? { realClore } : {}),
      ...(flags.provisioningMs ? { provisioningMs: flags.provisioningMs } : {}),
      ...(simLimits ? { simLimits } : {}),
      log: (line) => io.stderr.write(`sandbox: ${line}\n`),
      signal: interrupted.signal,
    }).catch((error: unknown) => {
      if (interrupted.signal.aborted) {
        throw new CliError(
          EXIT.interrupted,
          'interrupted while starting; everything it had started is stopped',
        );
      }
      throw new CliError(
        EXIT.cliFailed,
        `the sandbox could not start: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    io.stdout.write(`${banner(sandbox, realClore !== undefined)}\n`);
    await stopSignal;
    io.stderr.write('sandbox: stopping the worker, the API, the simulator and Redis...\n');
    await sandbox.stop();
    io.stderr.write('sandbox: stopped; nothing left running\n');
    return EXIT.ok;
  } finally {
    unlisten();
  }
}
