import { AppError } from '@clore-batch/shared';
import type { Endpoint } from '../endpoints';

/**
 * A successful answer (code 0) that lacks a field the product needs, or has it in a type that
 * cannot be read. The message names each missing field by its path, e.g. `orders[2].id`.
 */
export class CloreBadResponseError extends AppError {
  override readonly name = 'CloreBadResponseError';
  readonly endpoint: Endpoint;
  readonly fields: string[];

  constructor(endpoint: Endpoint, problems: string[], cause?: unknown) {
    super('CLORE_BAD_RESPONSE', `Clore ${endpoint}: unusable response: ${problems.join('; ')}`, {
      cause,
      details: { endpoint, fields: problems },
    });
    this.endpoint = endpoint;
    this.fields = problems;
  }
}
