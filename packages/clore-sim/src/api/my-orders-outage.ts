import { keyHash } from '../key-hash';

/** How a faulty my_orders answer differs from the truth: no order at all, or some active ones left out. */
export type MyOrdersAnswerFault = 'empty' | 'short';

interface Outage {
  mode: MyOrdersAnswerFault;
  /** Real ms epoch when the window closes. */
  until: number;
  /** Only this key's answers (its keyHash); every key when undefined. */
  keyHash: string | undefined;
}

/**
 * Time windows in which my_orders answers empty or short ("empty for the next N ms"), switched on
 * at runtime by `POST /_sim/my-orders-fault` for chaos tests (Part A 7: a provider can answer
 * short or empty).
 */
export class MyOrdersOutages {
  private outages: Outage[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  start(mode: MyOrdersAnswerFault, forMs: number, key?: { key?: string; keyHash?: string }): number {
    const until = this.now() + forMs;
    const hash = key?.keyHash ?? (key?.key === undefined ? undefined : keyHash(key.key));
    this.outages.push({ mode, until, keyHash: hash });
    return until;
  }

  /** The fault in force for this key now ('empty' wins over 'short'); undefined when none. */
  activeFor(key: string): MyOrdersAnswerFault | undefined {
    const now = this.now();
    this.outages = this.outages.filter((o) => o.until > now);
    const hash = keyHash(key);
    const mine = this.outages.filter((o) => o.keyHash === undefined || o.keyHash === hash);
    if (mine.some((o) => o.mode === 'empty')) {
      return 'empty';
    }
    return mine.length > 0 ? 'short' : undefined;
  }

  list(): { mode: MyOrdersAnswerFault; until: number; keyHash?: string }[] {
    const now = this.now();
    return this.outages
      .filter((o) => o.until > now)
      .map((o) => (o.keyHash === undefined ? { mode: o.mode, until: o.until } : { ...o }));
  }

  clear(): void {
    this.outages = [];
  }
}
