import { describe, expect, it } from 'vitest';
import type { ApiSweep } from '../api/api-sweep';
import { CliError } from '../cli/cli-error';
import { parseMatrix, sweepExit, sweepLine } from './sweep';

const sweep = (counts: Record<string, number>, done: boolean): ApiSweep => ({
  id: 'swp_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  total: 4,
  counts,
  finished: Object.entries(counts)
    .filter(([state]) => ['succeeded', 'failed', 'cancelled'].includes(state))
    .reduce((n, [, count]) => n + count, 0),
  done,
  costUsd: 1.234,
  jobIds: [],
});

describe('sweep helpers', () => {
  it('parses --matrix flags into the API matrix; a key twice or no values is a usage error', () => {
    expect(parseMatrix(['LR=0.1,0.01', 'SEED=1', 'S=a=b'])).toEqual({
      LR: ['0.1', '0.01'],
      SEED: ['1'],
      S: ['a=b'],
    });
    for (const bad of [['LR=1', 'LR=2'], ['LR'], ['=1'], ['LR=']]) {
      expect(() => parseMatrix(bad)).toThrow(CliError);
    }
  });

  it('prints one progress line and exits 0 only when every job succeeded', () => {
    const running = sweep({ succeeded: 2, failed: 1, running: 1 }, false);
    expect(sweepLine(running)).toBe('sweep swp_01ARZ3NDEKTSV4RRFFQ69G5FAV: 3/4 done, 1 failed, $1.23');
    expect(sweepLine(sweep({ succeeded: 3, cancelled: 1 }, true))).toContain(
      '4/4 done, 0 failed, 1 cancelled',
    );
    expect(sweepExit(sweep({ succeeded: 4 }, true))).toBe(0);
    expect(sweepExit(sweep({ succeeded: 3, failed: 1 }, true))).toBe(107);
    expect(sweepExit(sweep({ succeeded: 3, cancelled: 1 }, true))).toBe(107);
  });
});
