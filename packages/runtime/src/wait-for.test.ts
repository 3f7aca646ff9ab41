import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('resolves with the first truthy value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? 'done' : undefined), { intervalMs: 1 });
    expect(value).toBe('done');
    expect(calls).toBe(3);
  });

  it('rejects naming the condition and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 30, intervalMs: 5, message: 'the moon' },
      ),
    ).rejects.toThrow(/the moon did not hold within 30 ms \(last error: not yet\)/);
  });
});
