import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../endpoints';
import { classifyCloreError } from './classify';
import { CloreApiError } from './clore-api-error';
import { CloreBadResponseError } from './clore-bad-response-error';
import { CloreTransportError } from './clore-transport-error';

function apiError(endpoint: Endpoint, apiCode: number, apiError?: string, httpStatus = 200) {
  return new CloreApiError({ endpoint, apiCode, apiError, httpStatus });
}

/** As the error arrives after crossing a process boundary (BullMQ, HTTP): JSON only. */
function revived(error: Error): unknown {
  return { name: error.name, ...JSON.parse(JSON.stringify(error)) };
}

describe('classifyCloreError', () => {
  it.each([
    'server-dont-exist',
    'server-offline',
    'server-already-rented',
    'machine-is-on-gigaspot',
    'currency-not-allowed',
    'you_already_have_spot_order',
    'too_low_price',
    'cant_rent_from_yourself',
    'price_above_required_price',
  ])('moves to the next server on create_order %s', (name) => {
    const result = classifyCloreError(apiError('create_order', 6, name));
    expect(result).toEqual({ action: 'next_server', cause: name, orderMayExist: false });
  });

  it('fails the job for insufficient balance on not_enough_balance', () => {
    expect(classifyCloreError(apiError('create_order', 6, 'not_enough_balance'))).toMatchObject({
      action: 'fail_job',
      jobReason: 'insufficient_balance',
    });
  });

  it.each([
    ['cancel_order', 'order_not_active', 'already_done', undefined],
    ['cancel_order', 'you_dont_own_this_order', 'fail_job', 'internal'],
    ['cancel_order', 'issue_description_too_long', 'fail_job', 'internal'],
    ['set_spot_price', 'order_dont_exist', 'skip', undefined],
    ['set_spot_price', 'amount_too_low', 'skip', undefined],
    ['set_spot_price', 'exceeded_max_step', 'skip', undefined],
  ] as const)('classifies %s %s as %s', (endpoint, name, action, jobReason) => {
    const result = classifyCloreError(apiError(endpoint, 6, name));
    expect(result.action).toBe(action);
    expect(result.jobReason).toBe(jobReason);
    expect(result.cause).toBe(name);
  });

  it('retries can_lower_every_600_seconds after time_to_lowering', () => {
    const error = new CloreApiError({
      endpoint: 'set_spot_price',
      apiCode: 6,
      apiError: 'can_lower_every_600_seconds',
      httpStatus: 200,
      extra: { timeToLoweringSeconds: 321 },
    });
    expect(classifyCloreError(error)).toMatchObject({ action: 'retry_later', retryAfterMs: 321_000 });
    expect(classifyCloreError(revived(error))).toMatchObject({
      action: 'retry_later',
      retryAfterMs: 321_000,
    });
  });

  it('classifies every API code', () => {
    expect(classifyCloreError(apiError('create_order', 1, undefined, 500))).toEqual({
      action: 'next_server',
      cause: 'code_1',
      orderMayExist: true,
    });
    expect(classifyCloreError(apiError('my_orders', 1, undefined, 500)).action).toBe('retry_later');
    expect(classifyCloreError(apiError('create_order', 2, undefined, 400))).toMatchObject({
      action: 'fail_job',
      jobReason: 'internal',
    });
    expect(classifyCloreError(apiError('wallets', 3, undefined, 401))).toMatchObject({
      action: 'fail_job',
      jobReason: 'provider_error',
      cause: 'code_3',
    });
    expect(classifyCloreError(apiError('marketplace', 4, undefined, 404))).toMatchObject({
      action: 'fail_job',
      jobReason: 'internal',
    });
    expect(classifyCloreError(apiError('marketplace', 5, undefined, 429))).toMatchObject({
      action: 'retry_later',
    });
    expect(classifyCloreError(apiError('cancel_order', 6)).action).toBe('retry_later');
  });

  it('uses safe defaults for unknown error strings and codes', () => {
    expect(classifyCloreError(apiError('create_order', 6, 'brand-new-refusal'))).toEqual({
      action: 'next_server',
      cause: 'brand-new-refusal',
      orderMayExist: false,
    });
    expect(classifyCloreError(apiError('cancel_order', 6, 'brand-new-refusal')).action).toBe('retry_later');
    expect(classifyCloreError(apiError('cancel_order', 42)).action).toBe('retry_later');
    expect(classifyCloreError(new Error('boom'))).toMatchObject({
      action: 'fail_job',
      jobReason: 'internal',
    });
  });

  it('flags a create_order whose answer was lost: the order may exist', () => {
    for (const kind of ['timeout', 'reset', 'non_json', 'http_status'] as const) {
      const error = new CloreTransportError({ endpoint: 'create_order', kind, httpStatus: 502 });
      expect(classifyCloreError(error)).toEqual({ action: 'retry_later', cause: kind, orderMayExist: true });
      expect(classifyCloreError(revived(error))).toEqual({
        action: 'retry_later',
        cause: kind,
        orderMayExist: true,
      });
    }
    const refused = new CloreTransportError({ endpoint: 'create_order', kind: 'connect' });
    expect(classifyCloreError(refused).orderMayExist).toBe(false);
    const readTimeout = new CloreTransportError({ endpoint: 'my_orders', kind: 'timeout' });
    expect(classifyCloreError(readTimeout)).toEqual({
      action: 'retry_later',
      cause: 'timeout',
      orderMayExist: false,
    });
  });

  it('fails the job as a provider error on an unusable response', () => {
    const error = new CloreBadResponseError('my_orders', ['orders[0].id (or order_id) missing']);
    expect(classifyCloreError(error)).toMatchObject({ action: 'fail_job', jobReason: 'provider_error' });
  });

  it('reads errors that crossed a process boundary', () => {
    const error = revived(apiError('create_order', 6, 'not_enough_balance'));
    expect(error).not.toBeInstanceOf(Error);
    expect(classifyCloreError(error)).toMatchObject({
      action: 'fail_job',
      jobReason: 'insufficient_balance',
    });
  });
});
