import type { Attempt, AttemptEndReason, OutputFile } from '@clore-batch/shared';
import { collectOutputs, type OverCap } from '../remote/collect-outputs';
import { readStatus } from '../remote/read-status';
import { connectAttempt } from './connect-attempt';
import type { JobRun } from './job-run';

export interface Collected {
  outputs: OutputFile[];
  /** Listed outputs that did not exist on the server. */
  missing: string[];
  /** Set when the outputs were over OUTPUTS_MAX_BYTES (the files that fit were kept). */
  overCap?: OverCap;
  /** The server-side timeout fired (read from the job directory, so a resumed worker knows too). */
  timedOut: boolean;
}

/**
 * Fetch the spec's `outputs` over SFTP into `<DATA_DIR>/jobs/<id>/outputs/<remote path>`, with the
 * OUTPUTS_MAX_BYTES cap, and record them on the job: the files kept in `outputs`, the listed paths
 * that did not exist in `outputsMissing`, an info event for each of those and for the cap.
 */
export async function collect(run: JobRun, attempt: Attempt): Promise<Collected> {
  const { deps } = run;
  const { spec } = run.job;
  const session = await connectAttempt(
    run,
    attempt,
    Date.now() + deps.settings.reconnectWindowMs,
    run.signal,
  );
  try {
    const status = await readStatus(session, attempt.remoteDir as string);
    if (spec.outputs.length === 0) {
      return { outputs: [], missing: [], timedOut: status.timedOut };
    }
    const result = await collectOutputs(session, {
      paths: spec.outputs,
      destDir: deps.store.outputsDir(run.id),
      maxBytes: deps.settings.outputsMaxBytes,
    });
    const outputs = result.files.map((f) => ({ path: f.path, size: f.size }));
    run.job = await deps.store.update(run.id, (draft) => {
      draft.outputs = outputs;
      if (result.missing.length > 0) {
        draft.outputsMissing = result.missing;
      } else {
        delete draft.outputsMissing;
      }
    });
    for (const path of result.missing) {
      await deps.store.addInfo(run.id, `output not found on the server: ${path}`);
    }
    if (result.overCap !== undefined) {
      await deps.store.addInfo(run.id, overCapMessage(result.overCap, outputs.length));
    }
    run.log.info(
      { files: outputs.length, bytes: result.totalBytes, missing: result.missing, overCap: result.overCap },
      'outputs collected',
    );
    return {
      outputs,
      missing: result.missing,
      ...(result.overCap === undefined ? {} : { overCap: result.overCap }),
      timedOut: status.timedOut,
    };
  } finally {
    await session.close();
  }
}

/** "outputs are 5000 bytes, 3976 bytes over the cap of 1024 (OUTPUTS_MAX_BYTES): …". */
export function overCapMessage(over: OverCap, kept: number): string {
  const left = over.left.length === 1 ? over.left[0] : `${over.left.length} files (first ${over.left[0]})`;
  return (
    `outputs are ${over.totalBytes} bytes, ${over.overBytes} bytes over the cap of ${over.maxBytes} ` +
    `(OUTPUTS_MAX_BYTES): ${left} not downloaded; ${kept} file${kept === 1 ? '' : 's'} that fit kept`
  );
}

/**
 * How an attempt whose outputs were collected ends, most telling first: the server-side timeout;
 * a command that failed on its own (`completed`: settle fails it `command_failed` with its code);
 * outputs over the cap; a missing output the spec requires; else `completed`.
 */
export function collectedEnd(
  run: JobRun,
  collected: Collected,
): { endReason: AttemptEndReason; message: string } {
  const { spec, exitCode } = run.job;
  if (collected.timedOut) {
    return { endReason: 'timeout', message: `the command ran longer than ${spec.timeoutSeconds} s` };
  }
  if (exitCode !== 0) {
    return { endReason: 'completed', message: 'the command ended' };
  }
  if (collected.overCap !== undefined) {
    return {
      endReason: 'outputs_too_large',
      message: overCapMessage(collected.overCap, collected.outputs.length),
    };
  }
  if (spec.outputsRequired && collected.missing.length > 0) {
    return {
      endReason: 'outputs_missing',
      message: `required outputs not found on the server: ${collected.missing.join(', ')}`,
    };
  }
  return { endReason: 'completed', message: 'the command ended' };
}
