import { CloreApiError } from '@clore-batch/clore';
import { AppError } from '@clore-batch/shared';
import { describe, expect, it } from 'vitest';
import { classifyError } from './classify-error';
import { AttemptOver, CancelRequested, NextServer, WorkerStopping } from './control';

describe('classifyError', () => {
  it('maps control-flow errors', () => {
    expect(classifyError(new WorkerStopping())).toMatchObject({ kind: 'leave' });
    expect(classifyError(new CancelRequested())).toMatchObject({ kind: 'cancel' });
    expect(classifyError(new AttemptOver('budget_exceeded', 'x'))).toMatchObject({
      kind: 'end_attempt',
      reason: 'budget_exceeded',
    });
    expect(classifyError(new NextServer(1, 'x'))).toMatchObject({
      kind: 'end_attempt',
      reason: 'provider_error',
    });
  });

  it('maps coded errors, also after serialisation (by code, not class)', () => {
    expect(classifyError(new AppError('SSH_ERROR', 'dropped'))).toMatchObject({ reason: 'ssh_error' });
    expect(classifyError({ code: 'SSH_ERROR', message: 'x' })).toMatchObject({ reason: 'ssh_error' });
    expect(classifyError(new AppError('OUTPUT_TOO_LARGE', 'big'))).toMatchObject({
      reason: 'outputs_too_large',
    });
    expect(classifyError(new AppError('OUTPUT_PATH_INVALID', 'out'))).toMatchObject({
      reason: 'command_failed',
    });
    expect(classifyError(new AppError('JOB_STATE_CONFLICT', 'moved'))).toMatchObject({ kind: 'reread' });
    expect(classifyError(new AppError('REDIS_UNAVAILABLE', 'down'))).toMatchObject({ kind: 'rethrow' });
    expect(classifyError(new Error('Connection is closed.'))).toMatchObject({ kind: 'rethrow' });
    expect(classifyError(new AppError('SECRET_DECRYPT_FAILED', 'key'))).toMatchObject({ reason: 'internal' });
    expect(classifyError(new Error('boom'))).toMatchObject({
      kind: 'end_attempt',
      reason: 'internal',
      message: 'boom',
    });
  });

  it("follows the Clore client's classification table", () => {
    const balance = new CloreApiError({
      endpoint: 'create_order',
      apiCode: 6,
      apiError: 'not_enough_balance',
      httpStatus: 200,
    });
    expect(classifyError(balance)).toMatchObject({ reason: 'insufficient_balance' });
    const rented = new CloreApiError({
      endpoint: 'create_order',
      apiCode: 6,
      apiError: 'server-already-rented',
      httpStatus: 200,
    });
    expect(classifyError(rented)).toMatchObject({ reason: 'provider_error' });
  });
});
