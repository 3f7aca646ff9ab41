/**
 * What one attempt's order has cost, as far as this worker can prove it, and what it may cost by
 * now (docs/decisions/0115). Pure: the watch feeds it verified figures (a my_orders answer that
 * listed the order active, converted to USD) and asks it for a projection at any time.
 *
 * Between verified answers the cost grows at the highest rate known: the price selection used, the
 * booked price, and the billing rate observed between two answers (a provider, or a simulator
 * clock, that bills faster than the list price). A projection never goes down.
 */
export class SpendLedger {
  #verifiedUsd: number;
  #verifiedAtMs: number;
  #sample: { atMs: number; usd: number } | undefined;
  #observedUsdPerHour = 0;
  #priceUsdPerHour: number;

  constructor(options: { spentUsd: number; sinceMs: number; usdPerHour: number }) {
    this.#verifiedUsd = options.spentUsd;
    this.#verifiedAtMs = options.sinceMs;
    this.#priceUsdPerHour = options.usdPerHour;
  }

  /** The last verified figure (USD). */
  get verifiedUsd(): number {
    return this.#verifiedUsd;
  }

  /** When the spend was last verified (this worker's clock, ms). */
  get verifiedAtMs(): number {
    return this.#verifiedAtMs;
  }

  /** The hourly rate projections use: the highest known. */
  get usdPerHour(): number {
    return Math.max(this.#priceUsdPerHour, this.#observedUsdPerHour);
  }

  /** A price seen later (the booked one): raises the rate, never lowers it. */
  notePrice(usdPerHour: number): void {
    if (Number.isFinite(usdPerHour)) {
      this.#priceUsdPerHour = Math.max(this.#priceUsdPerHour, usdPerHour);
    }
  }

  /**
   * A verified figure: `usd` as the provider's answer of `answeredAtMs` (the answer's own time, for
   * the observed rate) received at `nowMs`.
   */
  verify(usd: number, answeredAtMs: number, nowMs: number): void {
    const sample = this.#sample;
    if (sample !== undefined && answeredAtMs - sample.atMs >= 100 && usd > sample.usd) {
      this.#observedUsdPerHour = ((usd - sample.usd) / (answeredAtMs - sample.atMs)) * 3_600_000;
    }
    if (sample === undefined || usd !== sample.usd) {
      this.#sample = { atMs: answeredAtMs, usd };
    }
    this.#verifiedUsd = Math.max(this.#verifiedUsd, usd);
    this.#verifiedAtMs = Math.max(this.#verifiedAtMs, nowMs);
  }

  /** How long the spend has gone unverified at `nowMs`. */
  unverifiedMs(nowMs: number): number {
    return Math.max(0, nowMs - this.#verifiedAtMs);
  }

  /** The cost by `nowMs`: the last verified figure plus the highest rate since. */
  projectedUsd(nowMs: number): number {
    return this.#verifiedUsd + (this.usdPerHour * this.unverifiedMs(nowMs)) / 3_600_000;
  }
}
