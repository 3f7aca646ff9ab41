import type { z } from 'zod';
import { AppError } from '../errors/app-error';

/** One problem with an input: the dot path of the field (`gpu.model`, `env.1BAD`, `outputs.0`) and why. */
export interface ValidationIssue {
  path: string;
  message: string;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
};

function describeInput(input: unknown): string {
  if (input === null) {
    return 'null';
  }
  if (Array.isArray(input)) {
    return 'a list';
  }
  if (typeof input === 'number' && Number.isNaN(input)) {
    return 'NaN';
  }
  return typeof input === 'object' ? 'an object' : `${typeof input}`;
}

/**
 * A zod error map giving messages a person understands. Messages set on a schema win over this;
 * this covers the generic cases (missing field, wrong type, bad enum value, plain bounds).
 */
export const humanErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) {
        return 'is required';
      }
      if (issue.expected === 'number' && typeof issue.input === 'number') {
        return 'must be a finite number';
      }
      const expected = ARTICLE[issue.expected] ?? issue.expected;
      return `must be ${expected} (got ${describeInput(issue.input)})`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return bound(issue.origin, issue.minimum, issue.inclusive, ['at least', 'greater than']);
    case 'too_big':
      return bound(issue.origin, issue.maximum, issue.inclusive, ['at most', 'less than']);
    default:
      return undefined;
  }
};

function dotPath(path: readonly PropertyKey[]): string {
  return path.map((part) => String(part)).join('.');
}

/** Flatten zod issues into one `{path, message}` per bad field (unknown keys: one each). */
export function toValidationIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: dotPath([...issue.path, key]), message: 'unknown field' });
      }
    } else if (issue.code === 'invalid_key') {
      out.push({ path: dotPath(issue.path), message: issue.issues[0]?.message ?? issue.message });
    } else {
      out.push({ path: dotPath(issue.path), message: issue.message });
    }
  }
  return out;
}

/** "gpu.model: is required; env.1BAD: ..." (a root-level problem is shown as `(body)`). */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path === '' ? '(body)' : issue.path}: ${issue.message}`).join('; ');
}

/**
 * Parse `input` with `schema` or throw `AppError('VALIDATION_FAILED')` whose message lists every
 * bad field and whose `details.issues` holds them as `{path, message}`.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input, { error: humanErrorMap });
  if (result.success) {
    return result.data;
  }
  const issues = toValidationIssues(result.error.issues);
  throw new AppError('VALIDATION_FAILED', `invalid ${what}: ${formatIssues(issues)}`, {
    details: { issues },
  });
}

/** The issues `schema` finds in `input` (empty when valid). */
export function issuesOf(schema: z.ZodType, input: unknown): ValidationIssue[] {
  const result = schema.safeParse(input, { error: humanErrorMap });
  return result.success ? [] : toValidationIssues(result.error.issues);
}

/** `too_small` / `too_big` in words: `words` is [inclusive, exclusive] ("at least", "greater than"). */
function bound(
  origin: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
  words: readonly [string, string],
): string {
  const [inclusiveWord, exclusiveWord] = words;
  if (origin === 'array') {
    return `must have ${inclusiveWord} ${limit} item(s)`;
  }
  if (origin === 'string') {
    return `must be ${inclusiveWord} ${limit} character(s) long`;
  }
  return `must be ${inclusive ? inclusiveWord : exclusiveWord} ${limit}`;
}
