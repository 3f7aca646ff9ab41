import { AppError } from '../errors/app-error';
import { type Config, ConfigSchema } from './schema';

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) {
      deepFreeze(inner);
    }
    Object.freeze(value);
  }
  return value;
}

/** Values are never echoed back for these: an error message must not carry a secret. */
const SECRET_VARIABLES = new Set([
  'SECRETS_KEY',
  'CLORE_API_KEY',
  'API_TOKENS',
  'WEBHOOK_SECRET',
  'REDIS_SENTINEL_PASSWORD',
  'REDIS_URL',
]);
/** Their messages name the bad entry and value themselves: the whole JSON is not repeated. */
const SELF_DESCRIBED = new Set(['TENANT_LIMITS', 'REDIS_SENTINELS']);

/** Zod's wording, said for people who set environment variables. */
function plainMessage(
  issue: { code: string; message: string; expected?: unknown },
  given: string | undefined,
): string {
  if (given === undefined && issue.code !== 'custom') {
    return 'is required';
  }
  if (issue.code === 'invalid_type' && issue.expected === 'number') {
    return 'must be a number';
  }
  return issue.message;
}

/**
 * Parse the environment once. Pure: reads only `env`. Reports every bad variable in one
 * CONFIG_INVALID error (message and `details.issues`), and returns a deeply frozen object.
 * Empty strings count as unset.
 */
export function loadConfig(env: Record<string, string | undefined>): DeepReadonly<Config> {
  const input: Record<string, string> = {};
  for (const name of Object.keys(ConfigSchema.shape)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      input[name] = value;
    }
  }
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      const given = input[variable];
      const quiet = SECRET_VARIABLES.has(variable) || SELF_DESCRIBED.has(variable) || given === undefined;
      const shown = quiet ? '' : ` (got "${given}")`;
      return { variable, message: `${plainMessage(issue, given)}${shown}` };
    });
    const lines = issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n');
    throw new AppError('CONFIG_INVALID', `invalid configuration, ${issues.length} problem(s):\n${lines}`, {
      details: { issues },
    });
  }
  return deepFreeze(result.data) as DeepReadonly<Config>;
}
