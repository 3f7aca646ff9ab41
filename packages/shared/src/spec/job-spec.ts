import { z } from 'zod';
import { CURRENCIES, type Currency } from '../config/currencies';
import { UPLOAD_SHA256 } from '../uploads/upload-sha';
import { parseGpuModel } from './gpu-model';
import { OUTPUT_PATH_MAX_LENGTH, OUTPUTS_MAX_COUNT, outputPathProblem } from './output-path';
import { issuesOf, parseOrThrow, type ValidationIssue } from './validation-issues';
import { WEBHOOK_URL_MAX_LENGTH, webhookUrlProblem } from './webhook-url';

/**
 * The job spec (product.md "Job spec"): the body of `POST /v1/jobs` and the CLI's job file. One zod
 * schema; the API, the worker and the CLI all use it, and OpenAPI is generated from it
 * (`z.toJSONSchema(JobSpecSchema, { io: 'input' })`). Every object is strict: unknown fields are
 * rejected. Limits beyond product.md (lengths, counts, caps) are in docs/decisions/0010-job-spec.md.
 */
export const SPEC_LIMITS = {
  nameMaxLength: 100,
  gpuModelsMax: 32,
  gpuModelMaxLength: 100,
  gpuCountMax: 16,
  minVramGbMax: 1_024,
  imageMaxLength: 512,
  commandMaxBytes: 64 * 1024,
  envMaxVars: 256,
  envNameMaxLength: 255,
  envValueMaxBytes: 32 * 1024,
  maxPricePerHourUsdMax: 10_000,
  budgetUsdMax: 1_000_000,
  timeoutSecondsMax: 30 * 24 * 3_600,
  /** As PROVISION_TIMEOUT_SECONDS allows. */
  provisionTimeoutSecondsMax: 86_400,
  outputsMax: OUTPUTS_MAX_COUNT,
  outputPathMaxLength: OUTPUT_PATH_MAX_LENGTH,
  maxAttemptsMax: 10,
  webhookUrlMaxLength: WEBHOOK_URL_MAX_LENGTH,
  registryAuthMaxBytes: 4 * 1024,
} as const;

export const ORDER_TYPES = ['on-demand', 'spot'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

/** The order of a job within its tenant's queue (high first, then oldest; docs/decisions/0131). */
export const PRIORITIES = ['low', 'normal', 'high'] as const;
export type Priority = (typeof PRIORITIES)[number];

const L = SPEC_LIMITS;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const byteLength = (value: string) => Buffer.byteLength(value, 'utf8');

const GpuModelName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(L.gpuModelMaxLength, `must be at most ${L.gpuModelMaxLength} characters`)
  .refine(
    (name) => name === '' || parseGpuModel(name).model.length > 0,
    'names no GPU model (vendor, memory or form-factor words only): models match as whole names, e.g. "RTX 4090"',
  );

const GpuModelList = z
  .array(GpuModelName)
  .min(1, 'must list at least one GPU model')
  .max(L.gpuModelsMax, `must list at most ${L.gpuModelsMax} GPU models`);

const gpuFields = {
  count: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(L.gpuCountMax, `must be at most ${L.gpuCountMax}`)
    .default(1),
  minVramGb: z
    .number()
    .positive('must be greater than 0')
    .max(L.minVramGbMax, `must be at most ${L.minVramGbMax}`)
    .optional(),
};

/** `gpu` as submitted: `model` is one name or a list; it is normalised to a trimmed list. */
const GpuInputSchema = z.strictObject({
  model: z
    .union([GpuModelName, GpuModelList], {
      error: (issue) =>
        issue.input === undefined ? 'is required' : 'must be a GPU model name or a non-empty list of them',
    })
    .transform((model) => (typeof model === 'string' ? [model] : model)),
  ...gpuFields,
});

/** `gpu` after parsing: `model` is always a non-empty list. */
export const GpuSpecSchema = z.strictObject({ model: GpuModelList, ...gpuFields });

export const EnvNameSchema = z
  .string()
  .max(L.envNameMaxLength, `must be at most ${L.envNameMaxLength} characters`)
  .regex(ENV_NAME, 'is not a valid variable name (letters, digits and _, not starting with a digit)');

const EnvValue = z
  .string()
  .refine((v) => !v.includes('\0'), 'must not contain a NUL character')
  .refine((v) => byteLength(v) <= L.envValueMaxBytes, `must be at most ${L.envValueMaxBytes} bytes`);

const EnvMap = z
  .record(EnvNameSchema, EnvValue)
  .refine((env) => Object.keys(env).length <= L.envMaxVars, `must have at most ${L.envMaxVars} variables`)
  .default({});

const OutputPath = z
  .string()
  .min(1, 'must be an absolute path (start with /)')
  .max(L.outputPathMaxLength, `must be at most ${L.outputPathMaxLength} characters`)
  .superRefine((path, ctx) => {
    const problem = outputPathProblem(path);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
    }
  });

const WebhookUrl = z
  .string()
  .max(L.webhookUrlMaxLength, `must be at most ${L.webhookUrlMaxLength} characters`)
  .superRefine((url, ctx) => {
    const problem = webhookUrlProblem(url);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
    }
  });

const money = (max: number) =>
  z.number().positive('must be greater than 0').max(max, `must be at most ${max}`);

/**
 * Every field but `gpu`, `secretEnv`, `currency` and `registryAuth` (which differ between the input
 * and the stored form), in three groups so both forms keep one field order: the command, the price,
 * the run's limits and options.
 */
const commandFields = {
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(L.nameMaxLength, `must be at most ${L.nameMaxLength} characters`)
    .optional(),
  image: z
    .string()
    .min(1, 'must not be empty')
    .max(L.imageMaxLength, `must be at most ${L.imageMaxLength} characters`)
    .regex(/^\S+$/, 'must not contain whitespace'),
  command: z
    .string()
    .refine((c) => c.trim().length > 0, 'must not be empty')
    .refine((c) => byteLength(c) <= L.commandMaxBytes, `must be at most ${L.commandMaxBytes} bytes`)
    .refine((c) => !c.includes('\0'), 'must not contain a NUL character'),
  env: EnvMap,
};
const priceFields = {
  orderType: z.enum(ORDER_TYPES, { error: "must be 'on-demand' or 'spot'" }).default('on-demand'),
  maxPricePerHourUsd: money(L.maxPricePerHourUsdMax),
  budgetUsd: money(L.budgetUsdMax),
  minReliability: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.9),
};
const runFields = {
  timeoutSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .max(L.timeoutSecondsMax, `must be at most ${L.timeoutSecondsMax} (30 days)`)
    .default(3_600),
  /**
   * How long each attempt may look for a server and wait for it to come up before it fails
   * (`no_matching_server`, or the server never answered); unset: the deployment's
   * PROVISION_TIMEOUT_SECONDS.
   */
  provisionTimeoutSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .max(L.provisionTimeoutSecondsMax, `must be at most ${L.provisionTimeoutSecondsMax} (a day)`)
    .optional(),
  outputs: z.array(OutputPath).max(L.outputsMax, `must list at most ${L.outputsMax} paths`).default([]),
  /**
   * A listed output missing after the command exited 0 fails the job (`outputs_missing`); default
   * false: it is only reported (`outputsMissing` on the job, an info event).
   */
  outputsRequired: z.boolean().default(false),
  maxAttempts: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be between 1 and 10')
    .max(L.maxAttemptsMax, 'must be between 1 and 10')
    .default(3),
  webhookUrl: WebhookUrl.optional(),
  /**
   * The image runs its own sshd: the worker does not ask Clore to inject its SSH entrypoint
   * (`autossh_entrypoint`, clore-api.md Part A 10). Default false: Clore's entrypoint is asked for.
   */
  imageHasSshd: z.boolean().default(false),
  /** Order within the tenant's queue: high first, then oldest. Tenants share workers by fair share. */
  priority: z.enum(PRIORITIES, { error: "must be 'low', 'normal' or 'high'" }).default('normal'),
  /**
   * The command's working directory: a tar.gz the tenant uploaded (`POST /v1/uploads`), named by
   * its SHA-256, unpacked on the server; the command runs inside it (docs/decisions/0137).
   */
  workdir: z
    .strictObject({
      upload: z.string().regex(UPLOAD_SHA256, 'must be a SHA-256 (64 lowercase hex digits)'),
    })
    .optional(),
};

/** Registry credentials for a private image (sent as `dockerhub_auth`); a secret like secretEnv. */
const RegistryAuth = z
  .string()
  .min(1, 'must not be empty')
  .refine((v) => byteLength(v) <= L.registryAuthMaxBytes, `must be at most ${L.registryAuthMaxBytes} bytes`)
  .refine((v) => !v.includes('\0'), 'must not contain a NUL character');

const CurrencySchema = z.enum(CURRENCIES, { error: `must be one of ${CURRENCIES.join(', ')}` });

/**
 * The job spec as submitted. `currency` may be left out (the deployment's CLORE_CURRENCY applies:
 * `applySpecDefaults`); `env` and `secretEnv` may not share a name.
 */
export const JobSpecSchema = z
  .strictObject({
    name: commandFields.name,
    gpu: GpuInputSchema,
    image: commandFields.image,
    command: commandFields.command,
    env: commandFields.env,
    secretEnv: EnvMap,
    ...priceFields,
    currency: CurrencySchema.optional(),
    ...runFields,
    registryAuth: RegistryAuth.optional(),
  })
  .superRefine((spec, ctx) => {
    for (const name of Object.keys(spec.secretEnv)) {
      if (Object.hasOwn(spec.env, name)) {
        ctx.addIssue({ code: 'custom', path: ['secretEnv', name], message: 'is also set in env' });
      }
    }
  });

/** What a client sends (gpu.model may be a string; defaults not applied). */
export type JobSpecInput = z.input<typeof JobSpecSchema>;
/** A parsed spec: defaults applied, gpu.model a list; `currency` is set once defaults are applied. */
export type JobSpec = z.output<typeof JobSpecSchema>;
/** A parsed spec whose currency is decided. */
export type ResolvedJobSpec = JobSpec & { currency: Currency };

/**
 * The spec as stored on a job record and returned by the API: `secretEnv` replaced by the names of
 * its variables and `registryAuth` by `hasRegistryAuth` (the values are sealed in a separate key),
 * currency decided.
 */
export const StoredJobSpecSchema = z.strictObject({
  name: commandFields.name,
  gpu: GpuSpecSchema,
  image: commandFields.image,
  command: commandFields.command,
  env: commandFields.env,
  secretEnvNames: z.array(EnvNameSchema).default([]),
  ...priceFields,
  currency: CurrencySchema,
  ...runFields,
  hasRegistryAuth: z.boolean().default(false),
});
export type StoredJobSpec = z.output<typeof StoredJobSpecSchema>;

export interface SpecDefaults {
  /** The deployment's CLORE_CURRENCY, used when the spec names none. */
  currency: Currency;
}

/**
 * Parse a submitted spec or throw `AppError('VALIDATION_FAILED')` listing every bad field (path and
 * reason) in its message and in `details.issues`. With `defaults`, the currency is filled in.
 */
export function parseJobSpec(input: unknown): JobSpec;
export function parseJobSpec(input: unknown, defaults: SpecDefaults): ResolvedJobSpec;
export function parseJobSpec(input: unknown, defaults?: SpecDefaults): JobSpec {
  const spec = parseOrThrow(JobSpecSchema, input, 'job spec');
  return defaults ? applySpecDefaults(spec, defaults) : spec;
}

/** Every problem with a submitted spec, `[]` when it is valid. */
export function specIssues(input: unknown): ValidationIssue[] {
  return issuesOf(JobSpecSchema, input);
}

/** Fill what the deployment decides (currency), keeping what the spec says. */
export function applySpecDefaults(spec: JobSpec, defaults: SpecDefaults): ResolvedJobSpec {
  return { ...spec, currency: spec.currency ?? defaults.currency };
}

/**
 * The stored form: secretEnv values dropped (only the names kept), registryAuth dropped (only
 * whether there is one). Seal the values separately.
 */
export function toStoredSpec(spec: ResolvedJobSpec): StoredJobSpec {
  const { secretEnv, registryAuth, ...rest } = spec;
  return {
    ...rest,
    secretEnvNames: Object.keys(secretEnv).sort(),
    hasRegistryAuth: registryAuth !== undefined,
  };
}
