import type { EndpointFaultKind } from './faults';

/** One `/v1` call as the simulator saw it. */
export interface CallRecord {
  /** sha256(key) hex, first 16 chars; null when no `auth` header was sent. */
  keyHash: string | null;
  endpoint: string;
  /** Arrival time, ms since the epoch with sub-ms precision. */
  at: number;
  durationMs: number;
  /** The API `code` answered; null when no JSON answer was sent (fault). */
  code: number | null;
  /** HTTP status sent; 0 when none (hang, reset, lost response). */
  httpStatus: number;
  fault?: EndpointFaultKind | 'myOrdersEmpty' | 'myOrdersShort';
}

/** Bounded in-memory call log (oldest dropped first). */
export class CallLog {
  private records: CallRecord[] = [];

  constructor(private readonly limit = 200_000) {}

  add(record: CallRecord): void {
    this.records.push(record);
    if (this.records.length > this.limit) {
      this.records.splice(0, this.records.length - this.limit);
    }
  }

  list(): readonly CallRecord[] {
    return this.records;
  }

  clear(): void {
    this.records = [];
  }
}

/** Epoch ms with sub-ms precision. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
