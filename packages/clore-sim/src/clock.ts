/**
 * The simulator's clock. Billing and `mrl` expiry run on sim time, which advances `speed` times as
 * fast as real time (speed 3600 = one billed hour per real second). Changing the speed re-anchors,
 * so sim time never jumps.
 */
export class SimClock {
  private anchorReal: number;
  private anchorSim: number;
  private rate: number;

  constructor(
    speed: number,
    private readonly realNow: () => number = Date.now,
  ) {
    this.anchorReal = realNow();
    this.anchorSim = this.anchorReal;
    this.rate = speed;
  }

  get speed(): number {
    return this.rate;
  }

  /** Sim time in ms since the epoch. */
  now(): number {
    return this.anchorSim + (this.realNow() - this.anchorReal) * this.rate;
  }

  setSpeed(speed: number): void {
    const sim = this.now();
    this.anchorReal = this.realNow();
    this.anchorSim = sim;
    this.rate = speed;
  }

  /** Move sim time forward by `ms` at once (a test shortcut). */
  advance(ms: number): void {
    this.anchorSim += ms;
  }
}
