import { AppError } from '@clore-batch/shared';

/**
 * An SSE event id is the resume point after that event: `<next log byte>.<next history index>`.
 * A client that reconnects with it (Last-Event-ID) gets exactly what follows: no gap, no repeat.
 */
export interface StreamPosition {
  offset: number;
  index: number;
}

export function formatEventId(position: StreamPosition): string {
  return `${position.offset}.${position.index}`;
}

export function parseEventId(value: string | undefined): StreamPosition {
  if (value === undefined || value === '') {
    return { offset: 0, index: 0 };
  }
  const match = /^(\d{1,15})\.(\d{1,9})$/.exec(value.trim());
  if (!match) {
    throw new AppError(
      'VALIDATION_FAILED',
      'Last-Event-ID is not an id this API sent (expected <offset>.<index>)',
      {
        details: {
          issues: [{ path: 'lastEventId', message: 'must be <offset>.<index> as sent in an event id' }],
        },
      },
    );
  }
  return { offset: Number(match[1]), index: Number(match[2]) };
}
