import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { ApiJob } from '../api/api-job';
import { CliError } from '../cli/cli-error';
import { EXIT } from '../cli/exit-codes';
import { readJobFile } from '../spec/job-file';
import { applyFlags, assertValidSpec, type SpecFlags } from '../spec/spec-flags';
import { finalLine, type Outcome, outcomeOf } from '../wait/outcome';
import { waitForJob } from '../wait/wait-for-job';
import { shipWorkdir } from '../workdir/ship-workdir';
import { type CommandContext, type OutputFlags, printJson, say } from './context';
import { downloadOutputs, type SavedOutput } from './outputs';
import { describePlan } from './plan';
import { isSweepSubmit, type SweepFlags, submitSweepCommand } from './sweep';

export interface SubmitFlags extends SpecFlags, OutputFlags, SweepFlags {
  idempotencyKey?: string;
  /** Ask for the plan (POST /v1/jobs?dryRun=true): nothing is stored or rented. */
  dryRun?: boolean;
  wait?: boolean;
  cancelOnInterrupt?: boolean;
  outputsDir?: string;
  /** Pack this directory, upload it unless the API has it, and run the command inside it. */
  workdir?: string;
}

/**
 * `submit [FILE|-] [flags] [-- COMMAND...]`: validate the spec locally (exit 2 before any request),
 * submit it (or with --dry-run only print the API's plan), and with --wait stream it to the end and
 * exit with its outcome. A submit always
 * carries an Idempotency-Key (a random one unless given), so a retried request never makes a
 * second job.
 */
export async function submitCommand(
  ctx: CommandContext,
  file: string | undefined,
  flags: SubmitFlags,
): Promise<number> {
  const { io } = ctx;
  if (flags.outputsDir !== undefined && !flags.wait) {
    throw new CliError(EXIT.usage, '--outputs-dir needs --wait (or use: clore-batch outputs ID --dir D)');
  }
  if (flags.dryRun && flags.wait) {
    throw new CliError(EXIT.usage, '--dry-run submits nothing, so there is nothing to --wait for');
  }
  const fromFile = file === undefined ? {} : await readJobFile(file, io.stdin);
  const spec = applyFlags(fromFile, flags, io.env);
  assertValidSpec(spec);
  if (isSweepSubmit(flags)) {
    if (flags.dryRun || flags.outputsDir !== undefined) {
      throw new CliError(
        EXIT.usage,
        '--array/--matrix make a sweep: --dry-run and --outputs-dir work on one job',
      );
    }
    return submitSweepCommand(ctx, spec, flags);
  }
  const client = ctx.client();
  if (flags.workdir !== undefined) {
    spec.workdir = { upload: await shipWorkdir(client, io, flags, flags.workdir) };
  }
  if (flags.dryRun) {
    const plan = await client.plan(spec);
    flags.json ? printJson(io, plan) : io.stdout.write(describePlan(plan));
    return EXIT.ok;
  }
  const { job, created } = await client.submit(spec, flags.idempotencyKey ?? `cli-${randomUUID()}`);
  if (!flags.wait) {
    if (flags.json) {
      printJson(io, { job, created });
    } else {
      io.stdout.write(`${job.id}\n`);
      const again = created ? '' : ' (the same Idempotency-Key returned an earlier job)';
      say(
        io,
        flags,
        `submitted job ${job.id} (${job.state})${again}; follow it: clore-batch logs ${job.id} --follow`,
      );
    }
    return EXIT.ok;
  }
  say(
    io,
    flags,
    `submitted job ${job.id}${created ? '' : ' (an earlier job with this Idempotency-Key)'}; streaming its log`,
  );
  const started = Date.now();
  let final: ApiJob;
  try {
    final = await waitForJob({
      client,
      io,
      jobId: job.id,
      json: flags.json === true,
      quiet: flags.quiet === true,
      cancelOnInterrupt: flags.cancelOnInterrupt === true,
    });
  } catch (error) {
    if (flags.json && error instanceof CliError) {
      printJson(io, {
        job: await client.getJob(job.id).catch(() => job),
        exit: exitJson(error.exitCode, error.message),
      });
    }
    throw error;
  }
  const outcome = outcomeOf(final);
  let saved: SavedOutput[] | undefined;
  let code = outcome.code;
  let outputsError: string | undefined;
  if (flags.outputsDir !== undefined) {
    try {
      saved = await downloadOutputs(client, job.id, flags.outputsDir);
      say(io, flags, `saved ${saved.length} output file(s) under ${flags.outputsDir}`);
    } catch (error) {
      outputsError = error instanceof Error ? error.message : String(error);
      io.stderr.write(`clore-batch: could not download outputs: ${outputsError}\n`);
      if (code === EXIT.ok) {
        code = EXIT.outputsFailed;
      }
    }
  }
  const effective: Outcome =
    code === outcome.code
      ? outcome
      : {
          ...outcome,
          code,
          kind: 'orchestration',
          summary: `${outcome.summary}, but its outputs could not be downloaded`,
        };
  io.stderr.write(`${finalLine(final, effective, Date.now() - started)}\n`);
  if (flags.json) {
    printJson(io, {
      job: final,
      exit: {
        code: effective.code,
        kind: effective.kind,
        state: final.state,
        ...(final.reason ? { reason: final.reason } : {}),
      },
      ...(flags.outputsDir === undefined
        ? {}
        : {
            outputs: {
              dir: resolve(flags.outputsDir),
              files: saved ?? [],
              ...(outputsError ? { error: outputsError } : {}),
            },
          }),
    });
  }
  return effective.code;
}

function exitJson(code: number, message: string) {
  return { code, kind: 'orchestration', error: message };
}
