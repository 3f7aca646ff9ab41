import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, errorCodeOf, hasErrorCode } from './app-error';
import { ERROR_CODES, type ErrorCode } from './codes';

const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');

describe('error registry', () => {
  it.each(Object.keys(ERROR_CODES))('documents %s with its status in docs/errors.md', (code) => {
    const def = ERROR_CODES[code as ErrorCode];
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row).toContain(`| ${def.status} | ${def.retryable ? 'yes' : 'no'} |`);
  });

  it('has no row in the docs for a code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('serialises to a client-safe body without stack or cause', () => {
    const error = new AppError('JOB_NOT_FOUND', 'no job j1', { cause: new Error('secret detail') });
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'JOB_NOT_FOUND', message: 'no job j1' });
    expect(error.status).toBe(404);
    expect(error.retryable).toBe(false);
  });

  it('classifies by code, also for errors that crossed a process boundary', () => {
    const revived = { name: 'AppError', code: 'CLORE_TIMEOUT', message: 'timed out' };
    expect(hasErrorCode(revived)).toBe(true);
    expect(errorCodeOf(revived)).toBe('CLORE_TIMEOUT');
    expect(errorCodeOf(new Error('boom'))).toBe('INTERNAL');
    expect(errorCodeOf({ code: 'ECONNRESET' })).toBe('INTERNAL');
  });
});
