/**
 * The simulator's clock. Billing and `mrl` expiry run on sim time, which advances `speed` times as
 * fast as real time (speed 3600 = one billed hour per real second). Changing the speed re-anchors,
 * so sim time never jumps. `offsetMs` puts the provider's clock ahead (+) or behind (-) real time
 * (Part A 18); changing it jumps sim time by the difference (forward: billed at once; backward:
 * billing pauses until sim time passes what was already billed).
 */
export class SimClock {
  private anchorReal: number;
  private anchorSim: number;
  private rate: number;

  private offset: number;

  constructor(
    speed: number,
    private readonly realNow: () => number = Date.now,
    offsetMs = 0,
  ) {
    this.anchorReal = realNow();
    this.anchorSim = this.anchorReal;
    this.rate = speed;
    this.offset = offsetMs;
  }

  get offsetMs(): number {
    return this.offset;
  }

  setOffset(offsetMs: number): void {
    this.offset = offsetMs;
  }

  get speed(): number {
    return this.rate;
  }

  /** Sim time in ms since the epoch. */
  now(): number {
    return this.anchorSim + (this.realNow() - this.anchorReal) * this.rate + this.offset;
  }

  setSpeed(speed: number): void {
    const sim = this.now() - this.offset;
    this.anchorReal = this.realNow();
    this.anchorSim = sim;
    this.rate = speed;
  }

  /** Move sim time forward by `ms` at once (a test shortcut). */
  advance(ms: number): void {
    this.anchorSim += ms;
  }
}
