/** The payment currencies the Clore API knows (clore-api.md §3). */
export const CURRENCIES = ['CLORE-Blockchain', 'bitcoin', 'USD-Blockchain'] as const;
export type Currency = (typeof CURRENCIES)[number];

export function isCurrency(value: unknown): value is Currency {
  return typeof value === 'string' && (CURRENCIES as readonly string[]).includes(value);
}

/** Fixed USD value of one unit of each currency (the simulator's exchange rates never move). */
export const USD_RATES: Readonly<Record<Currency, number>> = Object.freeze({
  'CLORE-Blockchain': 0.02,
  bitcoin: 60_000,
  'USD-Blockchain': 1,
});

export function toUsd(amount: number, currency: Currency): number {
  return amount * USD_RATES[currency];
}

export function fromUsd(usd: number, currency: Currency): number {
  return usd / USD_RATES[currency];
}

/** Round to a precision that suits the currency (8 decimals for bitcoin, 6 otherwise). */
export function roundAmount(amount: number, currency: Currency): number {
  const digits = currency === 'bitcoin' ? 10 : 6;
  return Number(amount.toFixed(digits));
}

export type Balances = Record<Currency, number>;

export const DEFAULT_BALANCES: Readonly<Balances> = Object.freeze({
  'CLORE-Blockchain': 50_000,
  bitcoin: 0.02,
  'USD-Blockchain': 1_000,
});

/** The largest step a spot price may be lowered by at once: 0.000001 BTC (clore-api.md §10), converted. */
export const SPOT_MAX_STEP: Readonly<Record<Currency, number>> = Object.freeze({
  bitcoin: 0.000001,
  'CLORE-Blockchain': 3,
  'USD-Blockchain': 0.06,
});
