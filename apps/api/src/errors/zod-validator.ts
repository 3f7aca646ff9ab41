import { AppError, formatIssues, humanErrorMap, toValidationIssues } from '@clore-batch/shared';
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';

const PART_NAMES: Record<string, string> = {
  body: 'request body',
  querystring: 'query string',
  params: 'path',
  headers: 'headers',
};

/**
 * Fastify's validator for zod route schemas: the shared, person-readable messages, and a
 * VALIDATION_FAILED AppError whose `details.issues` names each bad field by path. Messages come from
 * the schema or the error map and never quote the input, so a secret value is never echoed.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(data, { error: humanErrorMap });
    if (result.success) {
      return { value: result.data };
    }
    const issues = toValidationIssues(result.error.issues);
    const part = PART_NAMES[httpPart ?? 'body'] ?? 'request';
    const error = new AppError('VALIDATION_FAILED', `invalid ${part}: ${formatIssues(issues)}`, {
      details: { issues },
    });
    return { error };
  };
