import { commandFromArgv, formatIssues, specIssues } from '@clore-batch/shared';
import { usageError } from '../cli/cli-error';

/** The `submit` flags that set job spec fields (product.md "CLI"); every one is optional. */
export interface SpecFlags {
  name?: string;
  gpu: string[];
  gpuCount?: number;
  minVram?: number;
  image?: string;
  maxPrice?: number;
  budget?: number;
  spot?: boolean;
  /** The image runs its own sshd: do not ask Clore to inject its SSH entrypoint. */
  imageHasSshd?: boolean;
  timeout?: number;
  minReliability?: number;
  maxAttempts?: number;
  currency?: string;
  webhookUrl?: string;
  /** Passed through as `priority`; the spec schema decides what it accepts. */
  priority?: string;
  provisionTimeout?: number;
  env: string[];
  secretEnv: string[];
  output: string[];
  /** A listed output missing after the command exited 0 fails the job (`outputs_missing`). */
  outputsRequired?: boolean;
  /** The words after `--`: one is a shell script, several an argv (each quoted as needed). */
  command: string[];
}

/** Which flag sets a spec field, so a problem can name what the user typed. */
const FLAG_OF: Record<string, string> = {
  name: '--name',
  'gpu.model': '--gpu',
  'gpu.count': '--gpu-count',
  'gpu.minVramGb': '--min-vram',
  image: '--image',
  command: '-- COMMAND',
  maxPricePerHourUsd: '--max-price',
  budgetUsd: '--budget',
  orderType: '--spot',
  imageHasSshd: '--image-has-sshd',
  timeoutSeconds: '--timeout',
  minReliability: '--min-reliability',
  maxAttempts: '--max-attempts',
  currency: '--currency',
  webhookUrl: '--webhook-url',
  priority: '--priority',
  provisionTimeoutSeconds: '--provision-timeout',
  env: '--env',
  secretEnv: '--secret-env',
  outputs: '--output',
  outputsRequired: '--outputs-required',
};

/**
 * Build the spec: the job file's fields, overridden by flags (lists from flags replace the file's;
 * `--env`/`--secret-env` are merged over the file's maps). `--secret-env NAME` without `=` takes
 * the value from the CLI's own environment, so CI secrets never appear on a command line.
 */
export function applyFlags(
  file: Record<string, unknown>,
  flags: SpecFlags,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  const spec: Record<string, unknown> = { ...file };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) {
      spec[key] = value;
    }
  };
  set('name', flags.name);
  set('image', flags.image);
  set('maxPricePerHourUsd', flags.maxPrice);
  set('budgetUsd', flags.budget);
  set('timeoutSeconds', flags.timeout);
  set('minReliability', flags.minReliability);
  set('maxAttempts', flags.maxAttempts);
  set('currency', flags.currency);
  set('webhookUrl', flags.webhookUrl);
  set('priority', flags.priority);
  set('provisionTimeoutSeconds', flags.provisionTimeout);
  if (flags.spot) {
    spec.orderType = 'spot';
  }
  if (flags.imageHasSshd) {
    spec.imageHasSshd = true;
  }
  if (flags.command.length > 0) {
    spec.command = commandFromArgv(flags.command);
  }
  if (flags.output.length > 0) {
    spec.outputs = flags.output;
  }
  if (flags.outputsRequired) {
    spec.outputsRequired = true;
  }
  if (flags.gpu.length > 0 || flags.gpuCount !== undefined || flags.minVram !== undefined) {
    const gpu = isObject(spec.gpu) ? { ...spec.gpu } : {};
    if (flags.gpu.length > 0) {
      gpu.model = flags.gpu.length === 1 ? flags.gpu[0] : flags.gpu;
    }
    if (flags.gpuCount !== undefined) {
      gpu.count = flags.gpuCount;
    }
    if (flags.minVram !== undefined) {
      gpu.minVramGb = flags.minVram;
    }
    spec.gpu = gpu;
  }
  if (flags.env.length > 0) {
    spec.env = { ...(isObject(spec.env) ? spec.env : {}), ...pairs('--env', flags.env, undefined) };
  }
  if (flags.secretEnv.length > 0) {
    const base = isObject(spec.secretEnv) ? spec.secretEnv : {};
    spec.secretEnv = { ...base, ...pairs('--secret-env', flags.secretEnv, env) };
  }
  return spec;
}

/** Usage error listing every problem the shared schema finds, with the flag that sets each field. */
export function assertValidSpec(spec: Record<string, unknown>): void {
  const issues = specIssues(spec);
  if (issues.length === 0) {
    return;
  }
  const named = issues.map((issue) => {
    const top = issue.path
      .split('.')
      .slice(0, issue.path.startsWith('gpu.') ? 2 : 1)
      .join('.');
    const flag = FLAG_OF[issue.path] ?? FLAG_OF[top];
    return { path: flag ? `${issue.path} (${flag})` : issue.path, message: issue.message };
  });
  throw usageError(`invalid job spec: ${formatIssues(named)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `K=V` entries; with `fromEnv`, a bare `K` reads the value of K from that environment. */
function pairs(
  flag: string,
  entries: string[],
  fromEnv: NodeJS.ProcessEnv | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0) {
      out[entry.slice(0, eq)] = entry.slice(eq + 1);
      continue;
    }
    if (eq === -1 && fromEnv) {
      const value = fromEnv[entry];
      if (value === undefined) {
        throw usageError(
          `${flag} ${entry}: ${entry} is not set in the environment (use ${entry}=VALUE or export it)`,
        );
      }
      out[entry] = value;
      continue;
    }
    const hint = fromEnv ? 'NAME=VALUE, or NAME to read it from the environment' : 'NAME=VALUE';
    // Never echo the entry: for --secret-env it may hold a secret.
    throw usageError(`${flag}: expected ${hint}`);
  }
  return out;
}
