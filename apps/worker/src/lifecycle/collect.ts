import type { Attempt, OutputFile } from '@clore-batch/shared';
import { collectOutputs } from '../remote/collect-outputs';
import { readStatus } from '../remote/read-status';
import { connectAttempt } from './connect-attempt';
import type { JobRun } from './job-run';

export interface Collected {
  outputs: OutputFile[];
  /** The server-side timeout fired (read from the job directory, so a resumed worker knows too). */
  timedOut: boolean;
}

/**
 * Fetch the spec's `outputs` over SFTP into `<DATA_DIR>/jobs/<id>/outputs/<remote path>`, with the
 * OUTPUTS_MAX_BYTES cap (OUTPUT_TOO_LARGE names the sizes), and record them on the job.
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
      return { outputs: [], timedOut: status.timedOut };
    }
    const result = await collectOutputs(session, {
      paths: spec.outputs,
      destDir: deps.store.outputsDir(run.id),
      maxBytes: deps.settings.outputsMaxBytes,
    });
    const outputs = result.files.map((f) => ({ path: f.path, size: f.size }));
    run.job = await deps.store.update(run.id, (draft) => {
      draft.outputs = outputs;
    });
    if (result.missing.length > 0) {
      await deps.store.addInfo(run.id, `outputs not found on the server: ${result.missing.join(', ')}`);
    }
    run.log.info(
      { files: outputs.length, bytes: result.totalBytes, missing: result.missing },
      'outputs collected',
    );
    return { outputs, timedOut: status.timedOut };
  } finally {
    await session.close();
  }
}
