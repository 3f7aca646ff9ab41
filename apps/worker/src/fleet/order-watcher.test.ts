import { describe, expect, it } from 'vitest';
import { pollDelay } from './order-watcher';

const cadence = { fastMs: 3_000, idleMs: 15_000, quietMs: 60_000 };
const none = { urgent: 0, background: 0, intents: 0, cancels: 0 };

describe('pollDelay', () => {
  it('urgent demand anywhere → fast, whatever else', () => {
    expect(pollDelay({ ...none, urgent: 1, background: 3 }, 5, cadence)).toBe(3_000);
  });
  it('background watchers, active orders, intents or cancels only → idle', () => {
    expect(pollDelay({ ...none, background: 2 }, 0, cadence)).toBe(15_000);
    expect(pollDelay(none, 1, cadence)).toBe(15_000);
    expect(pollDelay({ ...none, intents: 1 }, 0, cadence)).toBe(15_000);
    expect(pollDelay({ ...none, cancels: 1 }, 0, cadence)).toBe(15_000);
  });
  it('nothing to watch → the safety poll', () => {
    expect(pollDelay(none, 0, cadence)).toBe(60_000);
  });
});
