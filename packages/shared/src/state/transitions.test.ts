import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error';
import { FAILURE_REASONS, isRetryableReason } from './failure-reason';
import { isTerminal, JOB_STATES, JobState, TERMINAL_STATES } from './job-state';
import { allowedEvents, JOB_EVENTS, type JobEvent, TRANSITIONS, transition } from './transitions';

/** The machine written out by hand, independent of the table: a change to either shows here. */
const EXPECTED: Record<JobState, Partial<Record<JobEvent, JobState>>> = {
  queued: { dispatch: 'provisioning', fail: 'failed', cancel: 'cancelled' },
  provisioning: { provisioned: 'running', retry: 'provisioning', fail: 'failed', cancel: 'cancelled' },
  running: { command_exited: 'collecting', retry: 'provisioning', fail: 'failed', cancel: 'cancelled' },
  collecting: { succeed: 'succeeded', retry: 'provisioning', fail: 'failed', cancel: 'cancelled' },
  succeeded: {},
  failed: {},
  cancelled: {},
};

const pairs = JOB_STATES.flatMap((from) => JOB_EVENTS.map((event) => [from, event] as const));

describe('transition: every state × every event', () => {
  it('covers 7 states × 7 events', () => {
    expect(pairs).toHaveLength(49);
  });

  it.each(pairs)('%s + %s', (from, event) => {
    const expected = EXPECTED[from][event];
    if (expected !== undefined) {
      expect(transition(from, event)).toBe(expected);
      return;
    }
    let thrown: unknown;
    try {
      transition(from, event);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('JOB_INVALID_TRANSITION');
    expect((thrown as AppError).details).toEqual({ from, event });
    expect((thrown as AppError).message).toContain(from);
  });

  it('the table has exactly the expected entries', () => {
    expect(TRANSITIONS).toEqual(EXPECTED);
  });
});

describe('terminal states', () => {
  it('are exactly succeeded, failed and cancelled, and accept no event', () => {
    expect(JOB_STATES.filter(isTerminal)).toEqual(['succeeded', 'failed', 'cancelled']);
    expect(TERMINAL_STATES).toEqual([JobState.succeeded, JobState.failed, JobState.cancelled]);
    for (const state of TERMINAL_STATES) {
      expect(allowedEvents(state)).toEqual([]);
    }
  });

  it('every non-terminal state can fail and be cancelled', () => {
    for (const state of JOB_STATES.filter((s) => !isTerminal(s))) {
      expect(allowedEvents(state)).toEqual(expect.arrayContaining(['fail', 'cancel']));
    }
  });

  it('every state is reachable from queued', () => {
    const seen = new Set<JobState>(['queued']);
    const frontier: JobState[] = ['queued'];
    while (frontier.length > 0) {
      const from = frontier.pop() as JobState;
      for (const to of Object.values(TRANSITIONS[from])) {
        if (!seen.has(to)) {
          seen.add(to);
          frontier.push(to);
        }
      }
    }
    expect([...seen].sort()).toEqual([...JOB_STATES].sort());
  });
});

describe('failure reasons', () => {
  it('retries only infrastructure reasons', () => {
    expect(FAILURE_REASONS.filter(isRetryableReason)).toEqual(['provider_error', 'ssh_error', 'preempted']);
  });
});
