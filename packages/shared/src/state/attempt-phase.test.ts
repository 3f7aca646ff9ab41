import { describe, expect, it } from 'vitest';
import type { AppError } from '../errors/app-error';
import {
  ATTEMPT_EVENTS,
  ATTEMPT_PHASES,
  ATTEMPT_TRANSITIONS,
  allowedAttemptEvents,
  attemptPhaseOf,
  attemptTransition,
} from './attempt-phase';

describe('attempt phases', () => {
  it('reads the phase from the record, the latest field winning', () => {
    expect(attemptPhaseOf({})).toBe('intent');
    expect(attemptPhaseOf({ orderId: 7 })).toBe('bound');
    expect(attemptPhaseOf({ orderId: 7, readyAt: 't' })).toBe('ready');
    expect(attemptPhaseOf({ orderId: 7, readyAt: 't', logOffset: 0 })).toBe('launched');
    expect(attemptPhaseOf({ orderId: 7, readyAt: 't', endReason: 'ssh_error' })).toBe('decided');
    expect(attemptPhaseOf({ orderId: 7, endReason: 'cancelled', endedAt: 't' })).toBe('ended');
  });

  it('walks intent → bound → ready → launched → decided → ended', () => {
    let phase = attemptTransition('intent', 'bind');
    phase = attemptTransition(phase, 'ready');
    phase = attemptTransition(phase, 'launch');
    phase = attemptTransition(phase, 'decide');
    expect(attemptTransition(phase, 'end')).toBe('ended');
  });

  it('decides from every open phase, ends only from decided, and nothing leaves ended', () => {
    for (const phase of ['intent', 'bound', 'ready', 'launched'] as const) {
      expect(attemptTransition(phase, 'decide')).toBe('decided');
      expect(() => attemptTransition(phase, 'end')).toThrow(/cannot take end/);
    }
    expect(allowedAttemptEvents('ended')).toEqual([]);
    for (const event of ATTEMPT_EVENTS) {
      let error: AppError | undefined;
      try {
        attemptTransition('ended', event);
      } catch (caught) {
        error = caught as AppError;
      }
      expect(error?.code).toBe('JOB_INVALID_TRANSITION');
    }
  });

  it('never skips a phase forward and never goes back', () => {
    const order = ATTEMPT_PHASES;
    for (const from of order) {
      for (const event of ATTEMPT_EVENTS) {
        const to = ATTEMPT_TRANSITIONS[from][event];
        if (to !== undefined) {
          expect(order.indexOf(to)).toBeGreaterThan(order.indexOf(from));
          if (event !== 'decide') {
            expect(order.indexOf(to)).toBe(order.indexOf(from) + 1);
          }
        }
      }
    }
  });
});
