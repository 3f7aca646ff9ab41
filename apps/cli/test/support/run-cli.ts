import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI's bin shim, run as a real child process the way a user or CI runs it. */
export const BIN = fileURLToPath(new URL('../../bin/clore-batch.mjs', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/** `submit` flags for a job any seeded marketplace runs: an RTX 3090 at up to $3/h, a $1 budget. */
export const GPU = ['--gpu', 'RTX 3090', '--image', 'ubuntu:22.04', '--max-price', '3', '--budget', '1'];

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** Start `command <args>` with its output captured (`spawn` options as given). */
export function startProcess(command: string, args: string[], options: SpawnOptions): CliRun {
  const child = spawn(command, args, {
    ...options,
    stdio: [options.stdio === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** The environment of a user's shell: PATH and HOME only (no inherited CLORE_BATCH_*). */
export const userEnv = (env: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/root',
  ...env,
});

/** Start `clore-batch <args>` with `env` added to a minimal environment (no inherited CLORE_BATCH_*). */
export function startCli(args: string[], env: Record<string, string> = {}, input?: string): CliRun {
  const run = startProcess(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: userEnv(env),
    stdio: input === undefined ? 'ignore' : 'pipe',
  });
  if (input !== undefined) {
    run.child.stdin?.end(input);
  }
  return run;
}

export function runCli(args: string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  return startCli(args, env, input).done;
}

/**
 * Run `clore-batch <args>` on a pseudo-terminal (util-linux `script`), so stdout and stderr are a
 * TTY; `answer(outputSoFar)` returns bytes to type (e.g. '\x03' for Ctrl-C) or undefined.
 */
export function runInTerminal(
  args: string[],
  env: Record<string, string>,
  answer: (output: string) => string | undefined,
): Promise<{ code: number | null; output: string }> {
  const quoted = [process.execPath, BIN, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  // `exec`: the CLI replaces the shell script starts, or the shell, hit by the same Ctrl-C, would
  // exit 130 whatever the CLI's own code.
  const child = spawn('script', ['-qfec', `exec ${quoted}`, '/dev/null'], {
    cwd: REPO,
    env: userEnv({ TERM: 'xterm', ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    const typed = answer(output);
    if (typed !== undefined) {
      child.stdin?.write(typed);
    }
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}
