import { describe, expect, it } from 'vitest';
import type { ApiJob } from '../api/api-job';
import { EXIT } from '../cli/exit-codes';
import { finalLine, outcomeOf } from './outcome';

const job = (fields: Partial<ApiJob>): ApiJob => ({ id: 'job_X', state: 'failed', ...fields }) as ApiJob;

describe('outcomeOf', () => {
  it("uses the command's own code when the command ran", () => {
    expect(outcomeOf(job({ state: 'succeeded' }))).toMatchObject({ code: 0, kind: 'command' });
    expect(outcomeOf(job({ reason: 'command_failed', exitCode: 42 }))).toMatchObject({
      code: 42,
      kind: 'command',
    });
    expect(outcomeOf(job({ reason: 'command_failed', exitCode: null }))).toMatchObject({
      code: EXIT.noExitCode,
      kind: 'orchestration',
    });
    const tooBig = outcomeOf(
      job({ reason: 'command_failed', exitCode: 0, message: 'outputs are 2 GB, over 1 GB' }),
    );
    expect(tooBig).toMatchObject({ code: EXIT.noExitCode, kind: 'orchestration' });
    expect(tooBig.summary).toBe(
      'failed: the command exited 0 but the job failed (outputs are 2 GB, over 1 GB)',
    );
  });

  it('gives every orchestration failure its own code', () => {
    const reasons = [
      'no_matching_server',
      'insufficient_balance',
      'budget_exceeded',
      'timeout',
      'provider_error',
      'ssh_error',
      'preempted',
      'spend_unverified',
      'outputs_missing',
      'outputs_too_large',
      'internal',
    ];
    const codes = reasons.map((reason) => outcomeOf(job({ reason })).code);
    expect(new Set(codes).size).toBe(reasons.length);
    expect(codes.every((code) => code >= 100)).toBe(true);
    expect(outcomeOf(job({ state: 'cancelled' })).code).toBe(EXIT.cancelled);
  });

  it('maps the outputs failures to 121 and 122, though the command exited 0', () => {
    const missing = job({ reason: 'outputs_missing', exitCode: 0, message: 'the job failed: /out/model.pt' });
    expect(outcomeOf(missing)).toMatchObject({ code: 121, kind: 'orchestration', reason: 'outputs_missing' });
    expect(outcomeOf(missing).summary).toBe('failed: outputs_missing (the job failed: /out/model.pt)');
    const tooLarge = job({ reason: 'outputs_too_large', exitCode: 0 });
    expect(outcomeOf(tooLarge)).toMatchObject({ code: 122, kind: 'orchestration' });
    expect(EXIT.outputsMissing).toBe(121);
    expect(EXIT.outputsTooLarge).toBe(122);
  });

  it('says in the final line whose code it is', () => {
    const failed = job({ reason: 'command_failed', exitCode: 3, costUsd: 0.0012 });
    expect(finalLine(failed, outcomeOf(failed), 65_000)).toBe(
      "clore-batch: job job_X failed: the command exited with code 3, after 1m05s, cost $0.0012; exit 3 (the command's own exit code)",
    );
    const none = job({ reason: 'no_matching_server', message: 'nothing under $0.10/h' });
    expect(finalLine(none, outcomeOf(none), undefined)).toContain(
      'exit 110 (clore-batch orchestration code)',
    );
  });
});
