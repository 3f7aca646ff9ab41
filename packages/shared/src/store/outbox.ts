import { isTerminal, type JobState } from '../state/job-state';
import { isJobId } from './job-id';
import type { JobRecord } from './job-record';
import type { StoreDeps } from './store-deps';

/**
 * The terminal-effects outbox (keys.ts `outbox`): the write script that puts a job into a terminal
 * state adds `<jobId>.<state>` in the same step, so a terminal state and the record that its
 * effects are owed are written together or not at all. Whoever hands the effect on (the API's
 * webhook drainer) removes the entry only after that succeeded: a crash in between leaves the entry
 * for the next pass, which must therefore be idempotent (docs/decisions/0063).
 */
export interface OutboxEntry {
  jobId: string;
  /** The terminal state written. */
  state: JobState;
  /** When it was written (ISO). */
  at: string;
}

/** The outbox member a write from `prev` to `next` adds, or '' (not a terminal write, or no effect owed). */
export function outboxMember(prev: JobRecord, next: JobRecord): string {
  const owed = !isTerminal(prev.state) && isTerminal(next.state) && next.spec.webhookUrl !== undefined;
  return owed ? `${next.id}.${next.state}` : '';
}

function parseMember(member: string, score: string): OutboxEntry | undefined {
  const [jobId, state, ...rest] = member.split('.');
  if (rest.length > 0 || !isJobId(jobId) || state === undefined || !isTerminal(state as JobState)) {
    return undefined;
  }
  return { jobId, state: state as JobState, at: new Date(Number(score)).toISOString() };
}

/** The oldest `limit` entries, oldest first. A member that is not an entry is removed (nothing owes it). */
export async function readOutbox(deps: StoreDeps, limit: number): Promise<OutboxEntry[]> {
  const flat = await deps.redis.zrange(deps.keys.outbox(), '0', String(limit - 1), 'WITHSCORES');
  const entries: OutboxEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const member = flat[i] as string;
    const entry = parseMember(member, flat[i + 1] as string);
    if (entry === undefined) {
      await deps.redis.zrem(deps.keys.outbox(), member);
    } else {
      entries.push(entry);
    }
  }
  return entries;
}

/** Remove an entry whose effect was handed on (idempotent). */
export async function outboxDone(
  deps: StoreDeps,
  entry: Pick<OutboxEntry, 'jobId' | 'state'>,
): Promise<void> {
  await deps.redis.zrem(deps.keys.outbox(), `${entry.jobId}.${entry.state}`);
}

/** Call `listener` on each new outbox entry (best effort: lost while disconnected, so drainers also poll). */
export function watchOutbox(deps: StoreDeps, listener: () => void): Promise<() => Promise<void>> {
  return deps.live.subscribe(deps.keys.outboxChannel(), () => listener());
}
