import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config';
import { limitsFor } from './tenant-limits';

const base = {
  SECRETS_KEY: 'x'.repeat(40),
  API_TOKENS: 'ci:submit:ci-token-0123456789abcdef,ops:admin:ops-token-0123456789abcdef',
};
const load = (limits: unknown) =>
  loadConfig({ ...base, TENANT_LIMITS: typeof limits === 'string' ? limits : JSON.stringify(limits) });
const problem = (limits: unknown): string => {
  try {
    load(limits);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected TENANT_LIMITS to be refused');
};

describe('TENANT_LIMITS', () => {
  it('parses every field, by token name and "*", frozen', () => {
    const ci = {
      maxRunningJobs: 2,
      maxQueuedJobs: 50,
      maxJobBudgetUsd: 20,
      maxPricePerHourUsd: 1.5,
      dailySpendUsd: 100,
      monthlySpendUsd: 1000,
    };
    const config = load({ ci, '*': { maxJobBudgetUsd: 5 } });
    expect(config.TENANT_LIMITS.ci).toEqual(ci);
    expect(Object.isFrozen(config.TENANT_LIMITS.ci)).toBe(true);
    expect(limitsFor(config.TENANT_LIMITS, 'ci')?.maxJobBudgetUsd).toBe(20);
    expect(limitsFor(config.TENANT_LIMITS, 'ops')).toEqual({ maxJobBudgetUsd: 5 });
  });

  it('is no limit at all when unset, and a listed name takes nothing from "*"', () => {
    expect(loadConfig(base).TENANT_LIMITS).toEqual({});
    expect(limitsFor(loadConfig(base).TENANT_LIMITS, 'ci')).toBeUndefined();
    const config = load({ ci: { maxQueuedJobs: 3 }, '*': { dailySpendUsd: 10 } });
    expect(limitsFor(config.TENANT_LIMITS, 'ci')).toEqual({ maxQueuedJobs: 3 });
  });

  it.each([
    [{ ci: { maxQueuedJobs: 0 } }, /TENANT_LIMITS: entry "ci": maxQueuedJobs must be at least 1 \(got 0\)/],
    [{ ci: { maxRunningJobs: 1.5 } }, /entry "ci": maxRunningJobs must be a whole number \(got 1.5\)/],
    [{ ci: { dailySpendUsd: -3 } }, /entry "ci": dailySpendUsd must be more than 0 \(got -3\)/],
    [{ ci: { monthlySpendUsd: '100' } }, /entry "ci": monthlySpendUsd must be a number \(got "100"\)/],
    [{ '*': { maxBudget: 5 } }, /entry "\*": unknown field\(s\) maxBudget; known: maxRunningJobs, /],
    [{ ci: 5 }, /entry "ci": must be an object of limits/],
    [{ 'c i': {} }, /entry "c i": not a token name/],
    [[1, 2], /TENANT_LIMITS: must be a JSON object keyed by token name/],
    ['{"ci":', /TENANT_LIMITS: must be a JSON object, e\.g\./],
  ])('refuses %j naming the bad entry', (limits, message) => {
    const text = problem(limits);
    expect(text).toMatch(message);
    expect(text).not.toContain('ci-token-0123456789abcdef');
  });

  it('reports every bad entry at once', () => {
    const text = problem({ ci: { maxQueuedJobs: 0, dailySpendUsd: 0 }, ops: { maxJobBudgetUsd: -1 } });
    expect(text).toContain('3 problem(s)');
    expect(text).toMatch(/entry "ci": maxQueuedJobs/);
    expect(text).toMatch(/entry "ci": dailySpendUsd/);
    expect(text).toMatch(/entry "ops": maxJobBudgetUsd/);
  });

  it('refuses a name that is not a token name of API_TOKENS', () => {
    expect(problem({ cj: { maxQueuedJobs: 5 } })).toMatch(
      /TENANT_LIMITS: entry "cj" is not a token name of API_TOKENS/,
    );
    // A process with no tokens (a worker) cannot tell, and takes the limits as they are.
    const config = loadConfig({ SECRETS_KEY: base.SECRETS_KEY, TENANT_LIMITS: '{"cj":{"maxQueuedJobs":5}}' });
    expect(config.TENANT_LIMITS.cj).toEqual({ maxQueuedJobs: 5 });
  });

  it('takes a tenant called __proto__ as a name, not as a prototype', () => {
    const config = loadConfig({
      SECRETS_KEY: base.SECRETS_KEY,
      API_TOKENS: '__proto__:submit:proto-token-0123456789abcdef',
      TENANT_LIMITS: '{"__proto__":{"maxQueuedJobs":2}}',
    });
    expect(limitsFor(config.TENANT_LIMITS, '__proto__')).toEqual({ maxQueuedJobs: 2 });
    expect(limitsFor(config.TENANT_LIMITS, 'someone')).toBeUndefined();
  });
});
