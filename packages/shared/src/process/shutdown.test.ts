import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger';
import { stopOnSignals } from './shutdown';

function harness(close: () => Promise<void>, deadlineMs = 50) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  stopOnSignals(silentLogger(), close, {
    deadlineMs,
    exit: (code) => exits.push(code),
    signals: signals as unknown as Pick<NodeJS.Process, 'on'>,
  });
  return { signals, exits };
}

describe('stopOnSignals', () => {
  it('closes once and exits 0', async () => {
    let closes = 0;
    const { signals, exits } = harness(async () => {
      closes += 1;
    });
    signals.emit('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(closes).toBe(1);
    expect(exits).toEqual([0]);
  });

  it('exits 1 when close hangs past the deadline, and at once on a second signal', async () => {
    const { signals, exits } = harness(() => new Promise<void>(() => {}), 30);
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    expect(exits).toEqual([1]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(exits).toEqual([1, 1]);
  });

  it('exits 1 when close fails', async () => {
    const { signals, exits } = harness(() => Promise.reject(new Error('boom')));
    signals.emit('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([1]);
  });
});
