import { describe, expect, it } from 'vitest';
import { newJobId } from './job-id';
import { jobIdFloor } from './owner-jobs-since';

describe('jobIdFloor', () => {
  it('sorts at or below every id made at that time or later, and above every earlier one', () => {
    const t = Date.UTC(2026, 11, 1);
    const floor = jobIdFloor(t).slice(1);
    // Ids made in increasing time order (newJobId keeps its own monotonic clock).
    const before = newJobId(t - 1);
    const at = newJobId(t);
    const after = newJobId(t + 86_400_000);
    expect(before < floor).toBe(true);
    expect(at >= floor).toBe(true);
    expect(at.startsWith(floor)).toBe(true);
    expect(after > floor).toBe(true);
  });
});
