import type { z } from 'zod';
import type { Endpoint } from '../endpoints';
import { CloreBadResponseError } from '../errors/clore-bad-response-error';

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(body)' : out;
}

/** zod issues as "field: problem" strings, naming each field by its path. */
export function describeIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = pathText(issue.path);
    const where = prefix === '' ? path : path === '(body)' ? prefix : `${prefix}.${path}`;
    return issue.code === 'invalid_type' && issue.message.includes('undefined')
      ? `${where} missing`
      : `${where}: ${issue.message}`;
  });
}

/** Parse a code-0 body with an endpoint schema, or throw CLORE_BAD_RESPONSE naming the fields. */
export function parseResponse<S extends z.ZodType>(
  endpoint: Endpoint,
  schema: S,
  body: unknown,
): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new CloreBadResponseError(endpoint, describeIssues(result.error), result.error);
  }
  return result.data;
}
