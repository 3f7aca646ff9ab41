import { waitFor } from '@clore-batch/testing';
import { type CliRun, REPO, startProcess } from './run-cli';

/** What the sandbox prints once everything is up. */
export const BANNER = 'Ctrl-C here stops everything';

/**
 * A sandbox started as a user starts it (`command args` from the repo root, in its own process group
 * so that a SIGKILL of `-pid` takes everything down), with `env` over this process's environment.
 */
export function spawnSandbox(command: string, args: string[], env: Record<string, string>): CliRun {
  return startProcess(command, args, { cwd: REPO, env: { ...process.env, ...env }, detached: true });
}

/** Wait for the banner; throw with the sandbox's stderr when it exits first or never prints it. */
export async function waitForBanner(sandbox: CliRun, timeoutMs = 150_000): Promise<void> {
  await waitFor(() => sandbox.stdout().includes(BANNER) || sandbox.child.exitCode !== null, {
    timeoutMs,
    message: 'the banner or an exit',
  }).catch((error: Error) => {
    throw new Error(`${error.message}; sandbox stderr so far:\n${sandbox.stderr()}`);
  });
  if (!sandbox.stdout().includes(BANNER)) {
    throw new Error(
      `the sandbox exited (${sandbox.child.exitCode}) before printing its banner:\n${sandbox.stderr()}`,
    );
  }
}

/** SIGKILL the sandbox's process group if it still runs (after a failed case). */
export function killSandbox(sandbox: CliRun): void {
  if (sandbox.child.exitCode === null && sandbox.child.pid) {
    process.kill(-sandbox.child.pid, 'SIGKILL');
  }
}
