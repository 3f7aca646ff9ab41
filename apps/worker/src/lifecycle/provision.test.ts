import { describe, expect, it } from 'vitest';
import type { JobRun } from './job-run';
import { provisionTimeoutMs, readinessTimeoutMs } from './provision';

const runWith = (provisionTimeoutSeconds: number | undefined, deploymentMs = 600_000) =>
  ({
    job: { spec: provisionTimeoutSeconds === undefined ? {} : { provisionTimeoutSeconds } },
    deps: { settings: { provisionTimeoutMs: deploymentMs } },
  }) as unknown as Pick<JobRun, 'job' | 'deps'>;

describe('provisioning deadlines', () => {
  it("searches for the job's provisionTimeoutSeconds, or the deployment's when unset", () => {
    expect(provisionTimeoutMs(runWith(5))).toBe(5_000);
    expect(provisionTimeoutMs(runWith(undefined))).toBe(600_000);
  });

  it('gives a placed order at least the deployment timeout to come up (its creation fee is paid)', () => {
    // A short job timeout with retries would otherwise pay a creation fee per server never given time.
    expect(readinessTimeoutMs(runWith(5))).toBe(600_000);
    expect(readinessTimeoutMs(runWith(3_600))).toBe(3_600_000);
    expect(readinessTimeoutMs(runWith(undefined))).toBe(600_000);
  });
});
