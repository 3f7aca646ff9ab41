import { shortGpuName } from '@clore-batch/shared';
import type { ApiJob } from '../api/api-job';
import { formatDuration, formatUsd } from '../format/units';

/** What the live status line shows; filled from state events and polled job reads. */
export interface StatusSnapshot {
  jobId: string;
  state: string;
  /** When the job was created (ms epoch), for the elapsed time. */
  since: number;
  server?: string;
  pricePerHourUsd?: number;
  spentUsd?: number;
  note?: string;
}

type ApiAttempt = NonNullable<ApiJob['attempts']>[number];

/** "RTX 3090", "2x RTX 3090" (the provider's "NVIDIA GeForce RTX 3090" shortened), or "" without a GPU. */
export function gpuLabel(attempt: ApiAttempt): string {
  if (!attempt.gpu) {
    return '';
  }
  return `${attempt.gpuCount && attempt.gpuCount > 1 ? `${attempt.gpuCount}x ` : ''}${shortGpuName(attempt.gpu)}`;
}

/** "rented server 42 (RTX 3090) at $0.31/h": one line per rental, for output without a status line. */
export function rentedLine(attempt: ApiAttempt): string {
  const gpu = gpuLabel(attempt);
  const price =
    typeof attempt.pricePerHourUsd === 'number' ? ` at ${formatUsd(attempt.pricePerHourUsd)}/h` : '';
  return `rented server ${attempt.serverId ?? '?'}${gpu ? ` (${gpu})` : ''}${price}`;
}

/** Refresh the snapshot from a job read: state, server of the latest attempt, price, spend. */
export function snapshotFromJob(snapshot: StatusSnapshot, job: ApiJob): StatusSnapshot {
  const attempt = job.attempts?.at(-1);
  const next: StatusSnapshot = { ...snapshot, state: job.state };
  const created = job.createdAt ? Date.parse(job.createdAt) : Number.NaN;
  if (Number.isFinite(created)) {
    next.since = created;
  }
  if (attempt && attempt.endedAt === undefined) {
    const gpu = gpuLabel(attempt);
    next.server = `server ${attempt.serverId ?? '?'}${gpu ? ` ${gpu}` : ''}`;
    next.pricePerHourUsd = attempt.pricePerHourUsd;
  } else {
    delete next.server;
    delete next.pricePerHourUsd;
  }
  if (typeof job.costUsd === 'number') {
    next.spentUsd = job.costUsd;
  }
  return next;
}

/** One line: "running · 1m05s · server 42 RTX 3090 · $0.31/h · spent $0.0056 · job job_01…". */
export function statusLine(snapshot: StatusSnapshot, now: number): string {
  const parts = [snapshot.state, formatDuration(now - snapshot.since)];
  if (snapshot.server) {
    parts.push(snapshot.server);
  }
  if (snapshot.pricePerHourUsd !== undefined) {
    parts.push(`${formatUsd(snapshot.pricePerHourUsd)}/h`);
  }
  if (snapshot.spentUsd !== undefined) {
    parts.push(`spent ${formatUsd(snapshot.spentUsd)}`);
  }
  if (snapshot.note) {
    parts.push(snapshot.note);
  }
  parts.push(snapshot.jobId);
  return parts.join(' · ');
}

/**
 * "running: the server is up; ..." from a `state` or `info` event's payload, with the time the event
 * happened (`at`, ISO) when it carries one.
 */
export function describeStateEvent(payload: Record<string, unknown>): {
  state?: string;
  text: string;
  at?: string;
} {
  const event = (
    typeof payload.event === 'object' && payload.event !== null ? payload.event : payload
  ) as Record<string, unknown>;
  const at = typeof event.at === 'string' ? { at: event.at } : {};
  const state =
    typeof event.to === 'string' ? event.to : typeof event.state === 'string' ? event.state : undefined;
  const message = typeof event.message === 'string' ? event.message : '';
  if (!state) {
    return { text: message || 'event', ...at };
  }
  return { state, text: message ? `${state}: ${message}` : state, ...at };
}
