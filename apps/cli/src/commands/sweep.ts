import { randomUUID } from 'node:crypto';
import type { ApiClient } from '../api/api-client';
import type { ApiSweep } from '../api/api-sweep';
import { usageError } from '../cli/cli-error';
import { EXIT } from '../cli/exit-codes';
import { formatUsd } from '../format/units';
import { type CommandContext, type OutputFlags, printJson, say } from './context';

export interface SweepFlags extends OutputFlags {
  /** `--array N`: N jobs, CLORE_BATCH_INDEX 0..N-1. */
  array?: number;
  /** `--matrix K=a,b,c` (repeatable): one job per combination of the values. */
  matrix?: string[];
  idempotencyKey?: string;
  wait?: boolean;
  cancelOnInterrupt?: boolean;
}

/** How often `--wait` reads the sweep (env CLORE_BATCH_SWEEP_POLL_MS for tests). */
const POLL_MS = 1_000;

export function isSweepSubmit(flags: SweepFlags): boolean {
  return flags.array !== undefined || (flags.matrix ?? []).length > 0;
}

/** `--matrix K=a,b,c` flags as the API's `matrix` object; a key given twice is a usage error. */
export function parseMatrix(entries: readonly string[]): Record<string, string[]> {
  const matrix: Record<string, string[]> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1) {
      throw usageError(`--matrix ${entry}: expected K=v1,v2,...`);
    }
    const key = entry.slice(0, eq);
    if (Object.hasOwn(matrix, key)) {
      throw usageError(`--matrix ${key} is given twice: list all its values in one flag`);
    }
    matrix[key] = entry.slice(eq + 1).split(',');
  }
  return matrix;
}

/** `sweep swp_..: 12/100 done, 3 failed, $1.23` (and the cancelled ones, when any). */
export function sweepLine(sweep: ApiSweep): string {
  const failed = sweep.counts.failed ?? 0;
  const cancelled = sweep.counts.cancelled ?? 0;
  const extra = cancelled > 0 ? `, ${cancelled} cancelled` : '';
  return `sweep ${sweep.id}: ${sweep.finished}/${sweep.total} done, ${failed} failed${extra}, ${formatUsd(sweep.costUsd)}`;
}

/** 0 once every job succeeded, else EXIT.sweepFailed. */
export function sweepExit(sweep: ApiSweep): number {
  return sweep.done && (sweep.counts.succeeded ?? 0) === sweep.total ? EXIT.ok : EXIT.sweepFailed;
}

/**
 * `submit --array N` / `submit --matrix K=a,b,c ...`: the spec becomes a sweep (POST /v1/sweeps),
 * one job per point. Without --wait, stdout gets the sweep id; with --wait, a line per change of
 * its progress until every job has ended, then exit 0 if all succeeded, else 107.
 */
export async function submitSweepCommand(
  ctx: CommandContext,
  spec: unknown,
  flags: SweepFlags,
): Promise<number> {
  const { io } = ctx;
  if (flags.array !== undefined && (flags.matrix ?? []).length > 0) {
    throw usageError('give --array or --matrix, not both');
  }
  const body = {
    spec,
    ...(flags.array === undefined ? { matrix: parseMatrix(flags.matrix ?? []) } : { count: flags.array }),
  };
  const client = ctx.client();
  const { sweep, created } = await client.submitSweep(body, flags.idempotencyKey ?? `cli-${randomUUID()}`);
  const again = created ? '' : ' (the same Idempotency-Key returned an earlier sweep)';
  if (!flags.wait) {
    flags.json ? printJson(io, { sweep, created }) : io.stdout.write(`${sweep.id}\n`);
    say(
      io,
      flags,
      `submitted sweep ${sweep.id} of ${sweep.total} job(s)${again}; see it: clore-batch status ${sweep.id}`,
    );
    return EXIT.ok;
  }
  say(io, flags, `submitted sweep ${sweep.id} of ${sweep.total} job(s)${again}; waiting for them`);
  const final = await waitForSweep(ctx, client, sweep, flags);
  if (final === undefined) {
    return EXIT.interrupted;
  }
  const code = sweepExit(final);
  if (flags.json) {
    printJson(io, { sweep: final, exit: { code } });
  }
  return code;
}

/** Poll the sweep until it is done, printing a line whenever its progress changes; undefined on Ctrl-C. */
async function waitForSweep(
  ctx: CommandContext,
  client: ApiClient,
  first: ApiSweep,
  flags: SweepFlags,
): Promise<ApiSweep | undefined> {
  const { io } = ctx;
  const pollMs = Number(io.env.CLORE_BATCH_SWEEP_POLL_MS ?? POLL_MS);
  let interrupted = false;
  let wake: (() => void) | undefined;
  const stop = io.onSignal(() => {
    interrupted = true;
    wake?.();
  });
  let last = '';
  let sweep = first;
  try {
    for (;;) {
      const line = sweepLine(sweep);
      if (line !== last && !flags.quiet) {
        io.stderr.write(io.stderrIsTty ? `\r${line}\x1b[K${sweep.done ? '\n' : ''}` : `${line}\n`);
        last = line;
      }
      if (sweep.done) {
        return sweep;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs);
      });
      if (interrupted) {
        if (io.stderrIsTty && last !== '') {
          io.stderr.write('\n'); // end the redrawn progress line
        }
        if (flags.cancelOnInterrupt) {
          await client.cancelSweep(sweep.id);
          say(io, flags, `cancel requested for every job of sweep ${sweep.id}`);
        } else {
          say(
            io,
            flags,
            `interrupted; sweep ${sweep.id} keeps running (cancel it: clore-batch cancel ${sweep.id})`,
          );
        }
        return undefined;
      }
      sweep = await client.getSweep(sweep.id);
    }
  } finally {
    stop();
  }
}

/** `status swp_...`: the sweep's counts by state, progress and cost. */
export async function sweepStatusCommand(
  ctx: CommandContext,
  id: string,
  flags: OutputFlags,
): Promise<number> {
  const sweep = await ctx.client().getSweep(id);
  if (flags.json) {
    printJson(ctx.io, sweep);
    return EXIT.ok;
  }
  const states = Object.entries(sweep.counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  ctx.io.stdout.write(
    `${sweepLine(sweep)}${sweep.name ? ` (${sweep.name})` : ''}\n  states  ${states || 'none'}\n  jobs    clore-batch list --sweep ${sweep.id}\n`,
  );
  return EXIT.ok;
}

/** `cancel swp_...`: cancel every job of the sweep that has not ended. */
export async function sweepCancelCommand(
  ctx: CommandContext,
  id: string,
  flags: OutputFlags,
): Promise<number> {
  const sweep = await ctx.client().cancelSweep(id);
  flags.json
    ? printJson(ctx.io, sweep)
    : say(ctx.io, flags, `cancel requested for sweep ${id}: ${sweepLine(sweep)}`);
  return EXIT.ok;
}
