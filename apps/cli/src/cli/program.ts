import { CURRENCIES, JOB_STATES } from '@clore-batch/shared';
import { Command, CommanderError, Option } from 'commander';
import { ApiError } from '../api/api-error';
import { type CommandContext, jsonPrinted, printJson } from '../commands/context';
import { CliError } from './cli-error';
import { DEFAULT_URL } from './default-url';
import { EXIT, exitCodeHelp } from './exit-codes';
import type { Io } from './io';
import { collect, fraction, positiveInt, positiveNumber, wholeNumber } from './parse-flags';
import { VERSION } from './version';

/**
 * A command its entry point adds to the shared tree: the monorepo's `bin.ts` adds `sandbox`, the
 * packaged CLI (`bin-packaged.ts`, docs/decisions/0142-cli-package.md) adds none.
 */
export type AddCommand = (program: Command, io: Io, setCode: (code: number) => void) => void;

const ENV_HELP = `Environment:
  CLORE_BATCH_URL    the API (default ${DEFAULT_URL}); --url overrides
  CLORE_BATCH_TOKEN  the API token (never printed); --token overrides`;

/**
 * The `clore-batch` command tree. Each action returns its exit code through `setCode`;
 * `runCli` turns commander's own errors (unknown flag, missing argument) into exit 2.
 */
export function buildProgram(
  io: Io,
  setCode: (code: number) => void,
  command: string[],
  extra: readonly AddCommand[] = [],
): Command {
  const program = new Command('clore-batch')
    .description('Run batch GPU jobs on the Clore.ai marketplace through a clore-batch API.')
    .option('--url <url>', 'API base URL (env CLORE_BATCH_URL)')
    .option('--token <token>', 'API token (env CLORE_BATCH_TOKEN)')
    .version(VERSION, '--version', 'print the version of clore-batch')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .addHelpText('after', `\n${ENV_HELP}\n\n${exitCodeHelp()}\n`)
    .exitOverride();
  /**
   * Run a command, its module loaded only now: `--help`, `--version` and a usage error load none
   * of them (no API client, schemas, YAML or tar), so they start fast (decision 0143).
   */
  const run = async (command: (ctx: CommandContext) => Promise<number>): Promise<void> => {
    const { connect } = await import('./connection');
    setCode(await command({ io, client: () => connect(program.opts(), io.env) }));
  };
  const isSweepRef = async (id: string | undefined): Promise<boolean> =>
    id !== undefined && (await import('../api/api-sweep')).isSweepRef(id);

  program
    .command('submit')
    .description('submit a job from a JSON/YAML file (- = stdin) and/or flags; flags override the file')
    .argument('[file]', 'job spec file, JSON or YAML; - reads stdin')
    .option('--name <name>', 'a label for the job')
    .option('--gpu <model>', 'acceptable GPU model (repeat for several)', collect)
    .option('--gpu-count <n>', 'minimum number of matching GPUs', positiveInt)
    .option('--min-vram <gb>', 'minimum memory per GPU, GB', positiveNumber)
    .option('--image <image>', 'Docker image the server runs')
    .option('--max-price <usd>', 'highest hourly price to rent at, USD per hour', positiveNumber)
    .option('--budget <usd>', 'most the job may spend over all attempts, USD', positiveNumber)
    .option('--spot', 'rent a spot (interruptible) server instead of on-demand')
    .option('--image-has-sshd', "the image runs its own sshd (Clore's SSH entrypoint is not injected)")
    .option('--timeout <seconds>', 'maximum run time of the command', positiveInt)
    .option('--min-reliability <r>', 'minimum server reliability, 0..1 (default 0.9)', fraction)
    .option('--max-attempts <n>', 'attempts on infrastructure failure, 1..10 (default 3)', positiveInt)
    .addOption(
      new Option('--currency <currency>', "payment currency (default: the API's)").choices(CURRENCIES),
    )
    .option('--webhook-url <url>', 'https URL POSTed (signed) when the job ends')
    .option('--priority <priority>', 'order within your queue: low, normal (default) or high')
    .option(
      '--provision-timeout <seconds>',
      "how long each attempt may look for a server and wait for it (default: the API's PROVISION_TIMEOUT_SECONDS)",
      positiveInt,
    )
    .option('--env <K=V>', 'environment variable for the command (repeatable)', collect)
    .option(
      '--secret-env <K=V|K>',
      'secret variable, never stored in clear; bare K reads $K (repeatable)',
      collect,
    )
    .option('--output <path>', 'absolute path in the container to collect (repeatable)', collect)
    .option(
      '--outputs-required',
      'a listed output missing after the command exited 0 fails the job (outputs_missing, exit 121)',
    )
    .option(
      '--workdir <dir>',
      'pack DIR (honouring .gitignore and .clore-batchignore, no .git), upload it unless the API has it, run the command inside it',
    )
    .option('--idempotency-key <key>', 'a repeat with the same key returns the same job')
    .option('--array <n>', 'a sweep of N jobs, env CLORE_BATCH_INDEX=0..N-1', positiveInt)
    .option('--matrix <K=a,b,c>', 'a sweep: one job per combination of the values (repeatable)', collect)
    .option('--dry-run', 'print the plan (servers, $/h, creation fee, cost, budget) and submit nothing')
    .option(
      '--wait',
      "stream the log and state changes; exit with the command's exit code (a sweep: 0 if all succeeded, else 107)",
    )
    .option('--cancel-on-interrupt', 'with --wait: Ctrl-C/SIGTERM cancels the job without asking (CI)')
    .option('--outputs-dir <dir>', 'with --wait: download the outputs into <dir> at the end')
    .option('--json', 'print one JSON document on stdout (with --wait the log goes to stderr)')
    .option('--quiet', 'only the job id (or the log with --wait); no progress lines')
    .addHelpText(
      'after',
      `
The command goes after "--" and runs with sh -c on the server. One word is a shell script; several words keep
their argv (each is quoted as needed, nothing in them is expanded):
  clore-batch submit --gpu "RTX 3090" --image ubuntu:22.04 --max-price 3 --budget 1 --wait -- 'nvidia-smi; echo done'
  clore-batch submit ... -- python train.py --lr "0.1 0.2"
Without --wait, stdout gets the job id. --secret-env TOKEN (no =) reads $TOKEN, so CI secrets stay off the command line.
A GPU model no listed server has, or a spec no listed server could ever run, is refused at once (exit 2, naming
the closest offer); see what is listed with: clore-batch offers --gpu "RTX 3090".

${exitCodeHelp()}`,
    )
    .action(async (file: string | undefined, flags) => {
      const lists = {
        gpu: flags.gpu ?? [],
        env: flags.env ?? [],
        secretEnv: flags.secretEnv ?? [],
        output: flags.output ?? [],
      };
      await run(async (ctx) =>
        (await import('../commands/submit')).submitCommand(ctx, file, { ...flags, ...lists, command }),
      );
    });

  program
    .command('status')
    .description('show a job: state, reason, exit code, attempts, cost')
    .argument('<id>', 'job id, or sweep id (swp_...)')
    .option('--json', 'print the job as JSON')
    .action((id: string, flags) =>
      run(async (ctx) =>
        (await isSweepRef(id))
          ? (await import('../commands/sweep')).sweepStatusCommand(ctx, id, flags)
          : (await import('../commands/status')).statusCommand(ctx, id, flags),
      ),
    );

  program
    .command('logs')
    .description("print a job's output; --follow streams it until the job ends and exits with its outcome")
    .argument('<id>', 'job id')
    .option('-f, --follow', 'stream from the start until the job ends')
    .option('--tail <n>', 'only the last N lines of the output so far', wholeNumber)
    .option('--quiet', 'no state lines on stderr')
    .action((id: string, flags) =>
      run(async (ctx) => (await import('../commands/logs')).logsCommand(ctx, id, flags)),
    );

  program
    .command('cancel')
    .description('cancel a job: stop its command and release its server')
    .argument(
      '[id]',
      'job id, or sweep id (swp_...: every job of it that has not ended), or give --idempotency-key',
    )
    .option('--idempotency-key <key>', 'the job this token submitted with this Idempotency-Key (CI)')
    .option('--wait', 'wait until the job has ended')
    .option('--json', 'print the job as JSON')
    .option('--quiet', 'no messages')
    .action((id: string | undefined, flags) =>
      run(async (ctx) =>
        id !== undefined && (await isSweepRef(id))
          ? (await import('../commands/sweep')).sweepCancelCommand(ctx, id, flags)
          : (await import('../commands/cancel')).cancelCommand(ctx, id, flags),
      ),
    );

  program
    .command('list')
    .description('list your jobs, newest first')
    .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES as string[]))
    .option('--limit <n>', 'jobs per page (default 20)', positiveInt)
    .option('--cursor <cursor>', 'continue after this cursor')
    .option('--all', 'every page')
    .option('--sweep <id>', "only this sweep's jobs, in index order")
    .option('--json', 'print {jobs, nextCursor} as JSON')
    .option('--quiet', 'no hints on stderr')
    .action((flags) => run(async (ctx) => (await import('../commands/list')).listCommand(ctx, flags)));

  program
    .command('outputs')
    .description("list a job's collected files, or download them with --dir")
    .argument('<id>', 'job id')
    .option('--dir <dir>', 'download into this directory (container paths kept below it)')
    .option('--json', 'print the list as JSON')
    .option('--quiet', 'no messages')
    .action((id: string, flags) =>
      run(async (ctx) => (await import('../commands/outputs')).outputsCommand(ctx, id, flags)),
    );

  program
    .command('offers')
    .description('GPU offers on the marketplace: per model and count, free servers, cheapest and median $/h')
    .option('--gpu <model>', 'only this GPU model (matched as --gpu of submit is)')
    .option('--max-price <usd>', 'only servers at most this price, USD per hour', positiveNumber)
    .addOption(
      new Option('--currency <currency>', "payment currency (default: the API's)").choices(CURRENCIES),
    )
    .option('--spot', 'spot prices (the minimum bid) instead of on-demand')
    .option('--json', 'print the API answer as JSON')
    .option('--quiet', 'no summary line on stderr')
    .action((flags) => run(async (ctx) => (await import('../commands/offers')).offersCommand(ctx, flags)));

  for (const add of extra) {
    add(program, io, setCode);
  }
  return program;
}

/** Run the CLI on `argv` (without node and script) and resolve with the exit code. */
export async function runCli(argv: string[], io: Io, extra: readonly AddCommand[] = []): Promise<number> {
  const dashes = argv.indexOf('--');
  const isSubmit = argv.includes('submit') && (dashes === -1 || argv.indexOf('submit') < dashes);
  const command = isSubmit && dashes !== -1 ? argv.slice(dashes + 1) : [];
  const args = isSubmit && dashes !== -1 ? argv.slice(0, dashes) : argv;
  const json = (dashes === -1 ? argv : argv.slice(0, dashes)).includes('--json');
  let code: number = EXIT.ok;
  const program = buildProgram(
    io,
    (value) => {
      code = value;
    },
    command,
    extra,
  );
  try {
    await program.parseAsync(args, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0; every parse error is a usage error.
      if (error.exitCode === 0) {
        return EXIT.ok;
      }
      return failed(io, json, EXIT.usage, error.message.replace(/^error: /, ''));
    }
    if (error instanceof CliError) {
      io.stderr.write(`clore-batch: ${error.message}\n`);
      return failed(io, json, error.exitCode, error.message, error);
    }
    io.stderr.write(
      `clore-batch: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return failed(io, json, EXIT.cliFailed, `internal error: ${String((error as Error)?.message ?? error)}`);
  }
}

/**
 * With --json, stdout holds exactly one document also when the command fails before it printed
 * one (a usage error, an API refusal before a job exists): `{ exit: {code, kind, error}, error? }`
 * with the API's `{status, code, message, details}` when the API refused.
 */
function failed(io: Io, json: boolean, code: number, message: string, error?: unknown): number {
  if (json && !jsonPrinted(io)) {
    printJson(io, {
      exit: { code, kind: 'orchestration', error: message },
      ...(error instanceof ApiError
        ? {
            error: {
              status: error.status,
              ...(error.code === undefined ? {} : { code: error.code }),
              ...(error.details === undefined ? {} : { details: error.details }),
            },
          }
        : {}),
    });
  }
  return code;
}
