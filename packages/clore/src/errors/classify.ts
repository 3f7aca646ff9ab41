import { hasErrorCode } from '@clore-batch/shared';

/**
 * What the caller should do after a failed Clore call:
 * - `next_server`: this server cannot be rented now; try the next matching one (create_order).
 * - `retry_later`: transient; the same call may succeed later (`retryAfterMs` when the API said).
 * - `fail_job`: stop; the job fails with `jobReason`.
 * - `already_done`: the goal of the call already holds (cancelling an order that has ended).
 * - `skip`: this call cannot succeed as sent and nothing else changes; carry on without it
 *   (set_spot_price refusals; the order list stays the truth about the order).
 */
export type CloreErrorAction = 'next_server' | 'retry_later' | 'fail_job' | 'already_done' | 'skip';

/** Job failure reasons (product.md) this classifier may ask for. */
export type CloreJobFailureReason = 'insufficient_balance' | 'provider_error' | 'internal';

export interface CloreErrorClass {
  action: CloreErrorAction;
  /** Set when action is `fail_job`. */
  jobReason?: CloreJobFailureReason;
  /** A short stable name for the cause: the API error string, `code_N`, or a transport kind. */
  cause: string;
  /**
   * The failed call was a create_order that may have created an order anyway (lost answer, or
   * code 1). Look it up with `findOrderByServer` before doing anything else (Part A §3).
   */
  orderMayExist: boolean;
  /** From the API, when it said how long to wait (`time_to_lowering`). */
  retryAfterMs?: number;
}

type Rule = Omit<CloreErrorClass, 'cause' | 'orderMayExist' | 'retryAfterMs'> & { note: string };

const next: Rule = { action: 'next_server', note: '' };

/**
 * create_order refused because the booked price would be above `required_price` (Part A 14). The
 * string is OUR ASSUMPTION (the simulator sends it; the real one is not public); any unknown
 * create_order string also moves to the next server.
 */
export const REQUIRED_PRICE_REFUSED = 'price_above_required_price';

/**
 * The one table for every documented `error` string (code 6). Keep docs/decisions/0032 in step.
 */
export const ERROR_STRING_RULES: Readonly<Record<string, Rule>> = {
  // create_order
  'server-dont-exist': { ...next, note: 'the offer is gone' },
  'server-offline': { ...next, note: 'the host is down' },
  'server-already-rented': { ...next, note: 'someone else was faster' },
  'machine-is-on-gigaspot': { ...next, note: 'gigaspot machines refuse normal orders' },
  'currency-not-allowed': { ...next, note: 'the host does not take this currency' },
  you_already_have_spot_order: { ...next, note: 'one spot order per server and renter' },
  too_low_price: { ...next, note: 'the spot bid is under this server minimum' },
  cant_rent_from_yourself: { ...next, note: 'our own server' },
  // OUR ASSUMPTION (docs/decisions/0106): the real string for a refused price guard is not public.
  [REQUIRED_PRICE_REFUSED]: {
    ...next,
    note: 'the host asks more than our required_price (it repriced since the listing): skip it',
  },
  not_enough_balance: {
    action: 'fail_job',
    jobReason: 'insufficient_balance',
    note: 'no server is cheaper than nothing',
  },
  // cancel_order
  order_not_active: { action: 'already_done', note: 'the order has already ended' },
  you_dont_own_this_order: {
    action: 'fail_job',
    jobReason: 'internal',
    note: 'our order id is wrong: a bug, and the real order may still run',
  },
  issue_description_too_long: {
    action: 'fail_job',
    jobReason: 'internal',
    note: 'the client truncates issue to 2048 chars, so this is a bug',
  },
  // set_spot_price
  order_dont_exist: { action: 'skip', note: 'the spot order has ended; my_orders will show it' },
  amount_too_low: { action: 'skip', note: 'keep the current bid' },
  can_lower_every_600_seconds: { action: 'retry_later', note: 'wait time_to_lowering seconds' },
  exceeded_max_step: { action: 'skip', note: 'lower by at most max_step per change' },
};

interface ErrorFacts {
  code: string;
  endpoint?: string;
  apiCode?: number;
  apiError?: string;
  kind?: string;
  mayHaveReachedServer?: boolean;
  timeToLoweringSeconds?: number;
}

function factsOf(error: unknown): ErrorFacts | undefined {
  if (!hasErrorCode(error)) {
    return undefined;
  }
  const details = ((error as { details?: unknown }).details ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const facts: ErrorFacts = { code: error.code };
  const endpoint = str(details.endpoint);
  const apiCode = num(details.apiCode);
  const apiError = str(details.apiError);
  const kind = str(details.kind);
  const ttl = num(details.timeToLoweringSeconds);
  if (endpoint !== undefined) {
    facts.endpoint = endpoint;
  }
  if (apiCode !== undefined) {
    facts.apiCode = apiCode;
  }
  if (apiError !== undefined) {
    facts.apiError = apiError;
  }
  if (kind !== undefined) {
    facts.kind = kind;
  }
  if (typeof details.mayHaveReachedServer === 'boolean') {
    facts.mayHaveReachedServer = details.mayHaveReachedServer;
  }
  if (ttl !== undefined) {
    facts.timeToLoweringSeconds = ttl;
  }
  return facts;
}

function fromRule(rule: Rule, cause: string, extra: Partial<CloreErrorClass> = {}): CloreErrorClass {
  const { note: _note, ...rest } = rule;
  return { ...rest, cause, orderMayExist: false, ...extra };
}

/**
 * Decide what a failed Clore call means for the job. Works on live errors and on errors that
 * crossed a process boundary (it reads `code` and `details`, not the class). Unknown inputs get
 * safe defaults: an unknown error string on create_order moves to the next server (the order was
 * refused, so nothing is spent); anywhere else it is retried later (a cancel must keep trying).
 */
export function classifyCloreError(error: unknown): CloreErrorClass {
  const facts = factsOf(error);
  if (facts === undefined) {
    return { action: 'fail_job', jobReason: 'internal', cause: 'not_a_clore_error', orderMayExist: false };
  }
  const isCreate = facts.endpoint === 'create_order';
  switch (facts.code) {
    case 'CLORE_TIMEOUT':
    case 'CLORE_TRANSPORT_ERROR':
      return {
        action: 'retry_later',
        cause: facts.kind ?? 'transport',
        orderMayExist: isCreate && facts.mayHaveReachedServer !== false,
      };
    case 'CLORE_RATE_LIMITED':
      return { action: 'retry_later', cause: 'code_5', orderMayExist: false };
    case 'CLORE_AUTH_FAILED':
      return { action: 'fail_job', jobReason: 'provider_error', cause: 'code_3', orderMayExist: false };
    case 'CLORE_BAD_RESPONSE':
      return { action: 'fail_job', jobReason: 'provider_error', cause: 'bad_response', orderMayExist: false };
    case 'CLORE_API_ERROR':
      return classifyApiCode(facts, isCreate);
    default:
      return { action: 'fail_job', jobReason: 'internal', cause: facts.code, orderMayExist: false };
  }
}

function classifyApiCode(facts: ErrorFacts, isCreate: boolean): CloreErrorClass {
  switch (facts.apiCode) {
    case 1:
      // Seen on create_order when the server was just taken or the balance is short (Part A §9).
      // Move on, but look first: a database error does not prove that nothing was written.
      return isCreate
        ? { action: 'next_server', cause: 'code_1', orderMayExist: true }
        : { action: 'retry_later', cause: 'code_1', orderMayExist: false };
    case 2:
      return { action: 'fail_job', jobReason: 'internal', cause: 'code_2', orderMayExist: false };
    case 4:
      return { action: 'fail_job', jobReason: 'internal', cause: 'code_4', orderMayExist: false };
    case 6:
      return classifyErrorString(facts, isCreate);
    default:
      // An undocumented code: not a refusal we understand. Same safe default as unknown strings.
      return unknown(`code_${facts.apiCode ?? 'missing'}`, isCreate);
  }
}

function classifyErrorString(facts: ErrorFacts, isCreate: boolean): CloreErrorClass {
  const name = facts.apiError ?? '';
  const rule = Object.hasOwn(ERROR_STRING_RULES, name) ? ERROR_STRING_RULES[name] : undefined;
  if (rule === undefined) {
    return unknown(name === '' ? 'code_6' : name, isCreate);
  }
  if (name === 'can_lower_every_600_seconds') {
    const retryAfterMs = (facts.timeToLoweringSeconds ?? 600) * 1000;
    return fromRule(rule, name, { retryAfterMs });
  }
  return fromRule(rule, name);
}

function unknown(cause: string, isCreate: boolean): CloreErrorClass {
  return isCreate
    ? { action: 'next_server', cause, orderMayExist: false }
    : { action: 'retry_later', cause, orderMayExist: false };
}
