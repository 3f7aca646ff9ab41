/**
 * Per-key limits of the Clore API (clore-api.md §2): a call is allowed when at least `generalMs`
 * passed since the key's previous ALLOWED call; create_order also needs `createMs` since the key's
 * previous allowed create. A rejected call changes nothing (it is not performed and does not push
 * the window back: the real API's behaviour here is unknown, and the simulator does not penalise).
 */
export class RateLimiter {
  private readonly lastCall = new Map<string, number>();
  private readonly lastCreate = new Map<string, number>();

  constructor(
    private readonly limits: { generalMs: number; createMs: number },
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** true when the call may go ahead (and it is then counted). */
  tryAcquire(key: string, isCreate: boolean): boolean {
    const now = this.now();
    const last = this.lastCall.get(key);
    if (last !== undefined && now - last < this.limits.generalMs) {
      return false;
    }
    if (isCreate) {
      const lastCreate = this.lastCreate.get(key);
      if (lastCreate !== undefined && now - lastCreate < this.limits.createMs) {
        return false;
      }
      this.lastCreate.set(key, now);
    }
    this.lastCall.set(key, now);
    return true;
  }

  reset(): void {
    this.lastCall.clear();
    this.lastCreate.clear();
  }
}
