import { describe, expect, it } from 'vitest';
import { newUserPath } from './support/new-user-path';

describe('scripts/sandbox.sh at the real Clore limits', () => {
  it('the printed first job finishes within a minute (1 s / 5 s limits, 2-5 s provisioning)', async () => {
    const { startMs, submitMs } = await newUserPath(['--port', '0']);
    // Measured 2026-11-24 on the 2-core dev machine: start 6 s, the first job 14 s end to end.
    expect(startMs).toBeLessThan(120_000);
    expect(submitMs).toBeLessThan(60_000);
  }, 300_000);
});
