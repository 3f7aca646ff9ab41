import { describe, expect, it } from 'vitest';
import type { RenterFees } from '../model/renter-fees';
import { createFeeBook } from './fee-book';

function fees(usd: number): RenterFees {
  return {
    creationFees: { 'on-demand': { 'USD-Blockchain': usd }, spot: { 'USD-Blockchain': usd / 2 } },
    renterFeeBase: { 'on-demand': {}, spot: {} },
  };
}

describe('createFeeBook', () => {
  it('reads renter_fees once per ttl, shares one call in flight, and keeps the last answer on failure', async () => {
    let clock = 0;
    const answers: Array<RenterFees | Error> = [fees(0.1), new Error('down'), fees(0.2)];
    let calls = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client = {
      async renterFees() {
        calls += 1;
        if (calls === 1) {
          await gate;
        }
        const next = answers.shift();
        if (next instanceof Error || next === undefined) {
          throw next ?? new Error('no more');
        }
        return next;
      },
    };
    const book = createFeeBook(client, { ttlMs: 1_000, retryAfterFailureMs: 100, now: () => clock });
    const first = [
      book.creationFee('USD-Blockchain', 'on-demand'),
      book.creationFee('USD-Blockchain', 'spot'),
    ];
    release();
    expect(await Promise.all(first)).toEqual([0.1, 0.05]);
    expect(calls).toBe(1);
    clock = 999;
    expect(await book.creationFee('USD-Blockchain', 'on-demand')).toBe(0.1);
    expect(calls).toBe(1);
    clock = 1_000;
    // The refresh fails: the last answer stays in use, and the next try waits retryAfterFailureMs.
    expect(await book.creationFee('USD-Blockchain', 'on-demand')).toBe(0.1);
    expect(calls).toBe(2);
    clock = 1_050;
    expect(await book.creationFee('USD-Blockchain', 'on-demand')).toBe(0.1);
    expect(calls).toBe(2);
    clock = 1_100;
    expect(await book.creationFee('USD-Blockchain', 'on-demand')).toBe(0.2);
    expect(calls).toBe(3);
    expect(await book.creationFee('bitcoin', 'on-demand')).toBeUndefined();
  });

  it('says undefined when renter_fees was never readable', async () => {
    const book = createFeeBook(
      {
        async renterFees(): Promise<RenterFees> {
          throw new Error('down');
        },
      },
      { ttlMs: 60_000 },
    );
    expect(await book.creationFee('USD-Blockchain', 'on-demand')).toBeUndefined();
  });
});
