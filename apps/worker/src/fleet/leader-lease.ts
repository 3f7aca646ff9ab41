import type { Logger } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { DELETE_IF_EQUAL, LEASE_EXTEND, TAKE_OR_EXTEND } from './fleet-scripts';

export interface LeaderLeaseOptions {
  redis: Redis;
  key: string;
  /** This process's holder id (unique per fleet instance). */
  id: string;
  ttlMs: number;
  logger: Logger;
  /** Told on every change (promoted: true, demoted: false). Must not throw. */
  onChange: (leader: boolean) => void;
}

/**
 * The leader lease (docs/decisions/0045): `SET key id NX PX ttl`, extended by compare-and-extend
 * every ttl/3; a failed extension demotes at once; a Redis error demotes once the lease could have
 * expired (`validUntil`). Released on stop with compare-and-delete (or kept, to simulate a crash).
 */
export class LeaderLease {
  private leader = false;
  /** Local time until which the lease is certainly ours (start of the last successful extension + ttl). */
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private tick: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeaderLeaseOptions) {}

  isLeader(): boolean {
    if (this.leader && Date.now() >= this.validUntil) {
      this.setLeader(false, 'the lease may have expired (no successful renewal in time)');
    }
    return this.leader;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.runTick();
  }

  /** Stop renewing; release the lease unless `release` is false (a test simulating a crash). */
  async stop(release = true): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.tick;
    const wasLeader = this.leader;
    this.setLeader(false, 'stopping');
    if (release && wasLeader) {
      await this.options.redis
        .eval(DELETE_IF_EQUAL, 1, this.options.key, this.options.id)
        .catch((error: Error) =>
          this.options.logger.warn({ err: error }, 'could not release the leader lease'),
        );
    }
  }

  private runTick(): Promise<void> {
    this.tick = this.renew().finally(() => {
      if (this.running) {
        this.timer = setTimeout(() => void this.runTick(), Math.max(10, Math.floor(this.options.ttlMs / 3)));
      }
    });
    return this.tick;
  }

  private async renew(): Promise<void> {
    const { redis, key, id, ttlMs } = this.options;
    const started = Date.now();
    try {
      const script = this.leader ? LEASE_EXTEND : TAKE_OR_EXTEND;
      const held = Number(await redis.eval(script, 1, key, id, ttlMs)) === 1;
      if (!this.running) {
        return;
      }
      if (held) {
        this.validUntil = started + ttlMs;
        this.setLeader(true, 'took the lease');
      } else if (this.leader) {
        this.setLeader(false, 'the lease is held by another process');
      }
    } catch (error) {
      this.options.logger.warn({ err: error, leader: this.leader }, 'leader lease renewal failed');
      this.isLeader();
    }
  }

  private setLeader(leader: boolean, why: string): void {
    if (leader === this.leader) {
      return;
    }
    this.leader = leader;
    this.options.logger.info(
      { leaseId: this.options.id },
      leader ? `became the fleet leader (${why})` : `no longer the fleet leader (${why})`,
    );
    this.options.onChange(leader);
  }
}
