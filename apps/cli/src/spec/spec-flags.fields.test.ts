import { describe, expect, it } from 'vitest';
import { applyFlags, assertValidSpec, type SpecFlags } from './spec-flags';

const none: SpecFlags = { gpu: [], env: [], secretEnv: [], output: [], command: [] };
const base = { gpu: { model: 'RTX 3090' }, image: 'u', command: 'true', maxPricePerHourUsd: 1, budgetUsd: 1 };

describe('the spec flags of issue 16', () => {
  it('set minReliability, maxAttempts, currency, webhookUrl, provisionTimeoutSeconds, and pass priority through', () => {
    const spec = applyFlags(
      base,
      {
        ...none,
        minReliability: 0.5,
        maxAttempts: 2,
        currency: 'bitcoin',
        webhookUrl: 'https://hooks.example/ci',
        priority: 'high',
        provisionTimeout: 90,
      },
      {},
    );
    expect(spec).toMatchObject({
      minReliability: 0.5,
      maxAttempts: 2,
      currency: 'bitcoin',
      webhookUrl: 'https://hooks.example/ci',
      priority: 'high',
      provisionTimeoutSeconds: 90,
    });
  });

  it('name the flag when the schema refuses a value', () => {
    const spec = applyFlags(base, { ...none, maxAttempts: 11, provisionTimeout: 100_000 }, {});
    expect(() => assertValidSpec(spec)).toThrow(/maxAttempts \(--max-attempts\): must be between 1 and 10/);
    expect(() => assertValidSpec(spec)).toThrow(
      /provisionTimeoutSeconds \(--provision-timeout\): must be at most 86400/,
    );
  });
});
