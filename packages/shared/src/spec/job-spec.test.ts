import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../errors/app-error';
import {
  applySpecDefaults,
  JobSpecSchema,
  parseJobSpec,
  SPEC_LIMITS,
  StoredJobSpecSchema,
  specIssues,
  toStoredSpec,
} from './job-spec';

const minimal = {
  gpu: { model: 'RTX 4090' },
  image: 'nvidia/cuda:12.4.0-base-ubuntu22.04',
  command: 'nvidia-smi && echo done',
  maxPricePerHourUsd: 1.5,
  budgetUsd: 10,
};

const full = {
  name: 'train resnet',
  gpu: { model: [' RTX 4090 ', 'RTX 3090'], count: 2, minVramGb: 24 },
  image: 'pytorch/pytorch:latest',
  command: 'python train.py --epochs 3',
  env: { EPOCHS: '3', _X1: '' },
  secretEnv: { HF_TOKEN: 'hf_secret' },
  orderType: 'spot',
  maxPricePerHourUsd: 0.8,
  budgetUsd: 5,
  minReliability: 0.95,
  currency: 'bitcoin',
  timeoutSeconds: 7_200,
  outputs: ['/workspace/out', '/tmp/model.pt'],
  maxAttempts: 5,
  webhookUrl: 'https://hooks.example.com/clore?x=1',
};

/** Each: a label, a patch over `minimal` (undefined deletes the field), and the path that must be blamed. */
const invalid: Array<[string, Record<string, unknown>, string]> = [
  ['empty body', { gpu: undefined, image: undefined, command: undefined }, 'gpu'],
  ['unknown top-level field', { colour: 'red' }, 'colour'],
  ['unknown nested gpu field', { gpu: { model: 'A100', vram: 80 } }, 'gpu.vram'],
  ['gpu missing', { gpu: undefined }, 'gpu'],
  ['gpu not an object', { gpu: 'RTX 4090' }, 'gpu'],
  ['gpu.model missing', { gpu: { count: 1 } }, 'gpu.model'],
  ['gpu.model empty list', { gpu: { model: [] } }, 'gpu.model'],
  ['gpu.model empty string', { gpu: { model: '  ' } }, 'gpu.model'],
  ['gpu.model list with empty entry', { gpu: { model: ['A100', ''] } }, 'gpu.model.1'],
  ['gpu.model a number', { gpu: { model: 4090 } }, 'gpu.model'],
  ['gpu.model a vendor name only', { gpu: { model: 'NVIDIA' } }, 'gpu.model'],
  ['gpu.model list with a memory size only', { gpu: { model: ['RTX 4090', '80GB'] } }, 'gpu.model.1'],
  ['gpu.count zero', { gpu: { model: 'A100', count: 0 } }, 'gpu.count'],
  ['gpu.count fractional', { gpu: { model: 'A100', count: 1.5 } }, 'gpu.count'],
  ['gpu.count too big', { gpu: { model: 'A100', count: 1_000 } }, 'gpu.count'],
  ['gpu.minVramGb negative', { gpu: { model: 'A100', minVramGb: -1 } }, 'gpu.minVramGb'],
  ['image missing', { image: undefined }, 'image'],
  ['image empty', { image: '' }, 'image'],
  ['image with whitespace', { image: 'ubuntu; rm -rf /' }, 'image'],
  ['image too long', { image: 'a'.repeat(SPEC_LIMITS.imageMaxLength + 1) }, 'image'],
  ['command missing', { command: undefined }, 'command'],
  ['command blank', { command: '   ' }, 'command'],
  ['command a list', { command: ['echo', 'hi'] }, 'command'],
  ['command too long', { command: 'x'.repeat(SPEC_LIMITS.commandMaxBytes + 1) }, 'command'],
  ['name too long', { name: 'n'.repeat(101) }, 'name'],
  ['name a number', { name: 7 }, 'name'],
  ['env not an object', { env: ['A=1'] }, 'env'],
  ['env name starting with a digit', { env: { '1BAD': 'x' } }, 'env.1BAD'],
  ['env name with a dash', { env: { 'MY-VAR': 'x' } }, 'env.MY-VAR'],
  ['env value a number', { env: { GOOD: 3 } }, 'env.GOOD'],
  ['secretEnv bad name', { secretEnv: { 'a b': 'x' } }, 'secretEnv.a b'],
  ['secretEnv overlaps env', { env: { TOKEN: 'a' }, secretEnv: { TOKEN: 'b' } }, 'secretEnv.TOKEN'],
  ['orderType unknown', { orderType: 'reserved' }, 'orderType'],
  ['priority unknown', { priority: 'urgent' }, 'priority'],
  ['maxPricePerHourUsd missing', { maxPricePerHourUsd: undefined }, 'maxPricePerHourUsd'],
  ['maxPricePerHourUsd zero', { maxPricePerHourUsd: 0 }, 'maxPricePerHourUsd'],
  ['maxPricePerHourUsd a string', { maxPricePerHourUsd: '1.5' }, 'maxPricePerHourUsd'],
  ['budgetUsd negative', { budgetUsd: -5 }, 'budgetUsd'],
  ['budgetUsd missing', { budgetUsd: undefined }, 'budgetUsd'],
  ['budgetUsd infinite', { budgetUsd: Number.POSITIVE_INFINITY }, 'budgetUsd'],
  ['budgetUsd NaN', { budgetUsd: Number.NaN }, 'budgetUsd'],
  ['minReliability 1.5', { minReliability: 1.5 }, 'minReliability'],
  ['minReliability negative', { minReliability: -0.1 }, 'minReliability'],
  ['currency unknown', { currency: 'dogecoin' }, 'currency'],
  ['timeoutSeconds zero', { timeoutSeconds: 0 }, 'timeoutSeconds'],
  ['timeoutSeconds fractional', { timeoutSeconds: 1.5 }, 'timeoutSeconds'],
  ['timeoutSeconds over 30 days', { timeoutSeconds: SPEC_LIMITS.timeoutSecondsMax + 1 }, 'timeoutSeconds'],
  ['outputs not a list', { outputs: '/out' }, 'outputs'],
  ['outputs relative path', { outputs: ['/ok', 'out/model.pt'] }, 'outputs.1'],
  ['outputs with ..', { outputs: ['/workspace/../etc/passwd'] }, 'outputs.0'],
  ['outputs with NUL', { outputs: ['/out\0x'] }, 'outputs.0'],
  ['outputs empty string', { outputs: [''] }, 'outputs.0'],
  ['outputs too many', { outputs: Array.from({ length: 65 }, (_, i) => `/o${i}`) }, 'outputs'],
  ['maxAttempts 0', { maxAttempts: 0 }, 'maxAttempts'],
  ['maxAttempts 11', { maxAttempts: 11 }, 'maxAttempts'],
  ['webhookUrl http to a public host', { webhookUrl: 'http://hooks.example.com/x' }, 'webhookUrl'],
  ['webhookUrl not a URL', { webhookUrl: 'hooks.example.com' }, 'webhookUrl'],
  ['webhookUrl ftp', { webhookUrl: 'ftp://example.com/x' }, 'webhookUrl'],
  ['body not an object', { __replace: 'not an object' }, ''],
];

function build(patch: Record<string, unknown>): unknown {
  if ('__replace' in patch) {
    return patch.__replace;
  }
  const spec: Record<string, unknown> = { ...minimal, ...patch };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) {
      delete spec[key];
    }
  }
  return spec;
}

describe('parseJobSpec: invalid specs name each bad field', () => {
  it.each(invalid)('%s', (_label, patch, path) => {
    const input = build(patch);
    const issues = specIssues(input);
    expect(issues.map((issue) => issue.path)).toContain(path);
    for (const issue of issues) {
      expect(issue.message.length).toBeGreaterThan(3);
      expect(issue.message).not.toMatch(/^Invalid input$/);
    }
    let thrown: unknown;
    try {
      parseJobSpec(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    const error = thrown as AppError;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    expect(error.details).toEqual({ issues });
    expect(error.message).toContain(path === '' ? '(body)' : `${path}: `);
  });

  it('has at least 30 cases', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(30);
  });

  it('lists every problem at once, with messages a person understands', () => {
    const issues = specIssues({
      ...minimal,
      gpu: { model: 'A100', extra: 1 },
      minReliability: 1.5,
      budgetUsd: undefined,
      env: { '1BAD': 'x' },
      outputs: ['relative'],
      surprise: true,
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'gpu.extra', message: 'unknown field' },
        { path: 'surprise', message: 'unknown field' },
        { path: 'minReliability', message: 'must be between 0 and 1' },
        { path: 'budgetUsd', message: 'is required' },
        { path: 'outputs.0', message: 'must be an absolute path (start with /)' },
        {
          path: 'env.1BAD',
          message: 'is not a valid variable name (letters, digits and _, not starting with a digit)',
        },
      ]),
    );
    expect(issues).toHaveLength(6);
  });

  it('never echoes a secret value in an issue', () => {
    const error = (() => {
      try {
        parseJobSpec({ ...minimal, secretEnv: { 'BAD NAME': 'sup3r-s3cret', OK: 42 } });
      } catch (e) {
        return e as AppError;
      }
      throw new Error('expected a rejection');
    })();
    expect(JSON.stringify(error.toJSON())).not.toContain('sup3r-s3cret');
    expect(error.message).toContain('secretEnv.OK: must be a string (got number)');
  });
});

describe('parseJobSpec: valid specs', () => {
  it('applies the documented defaults to a minimal spec', () => {
    const spec = parseJobSpec(minimal);
    expect(spec).toEqual({
      ...minimal,
      gpu: { model: ['RTX 4090'], count: 1 },
      env: {},
      secretEnv: {},
      orderType: 'on-demand',
      minReliability: 0.9,
      timeoutSeconds: 3_600,
      outputs: [],
      outputsRequired: false,
      maxAttempts: 3,
      imageHasSshd: false,
      priority: 'normal',
    });
    expect(spec.currency).toBeUndefined();
  });

  it('normalises gpu.model to a trimmed list and keeps every given field', () => {
    const spec = parseJobSpec(full);
    expect(spec.gpu).toEqual({ model: ['RTX 4090', 'RTX 3090'], count: 2, minVramGb: 24 });
    expect(spec.currency).toBe('bitcoin');
    expect(spec.secretEnv).toEqual({ HF_TOKEN: 'hf_secret' });
  });

  it.each([
    ['minimal', minimal],
    ['full', full],
  ])('round-trips: parse(parse(x)) equals parse(x) (%s)', (_label, input) => {
    const once = parseJobSpec(input);
    expect(parseJobSpec(once)).toEqual(once);
  });

  it('accepts boundary values', () => {
    expect(specIssues({ ...minimal, minReliability: 0 })).toEqual([]);
    expect(specIssues({ ...minimal, minReliability: 1, maxAttempts: 10, timeoutSeconds: 1 })).toEqual([]);
    expect(specIssues({ ...minimal, name: 'n'.repeat(100) })).toEqual([]);
    expect(specIssues({ ...minimal, command: 'x'.repeat(SPEC_LIMITS.commandMaxBytes) })).toEqual([]);
  });

  it.each(['http://localhost:8080/hook', 'http://127.0.0.1:9/x', 'http://[::1]:9/x', 'https://example.com'])(
    'accepts webhook %s (http only on loopback)',
    (webhookUrl) => {
      expect(specIssues({ ...minimal, webhookUrl })).toEqual([]);
    },
  );

  it('fills the deployment currency only when the spec names none', () => {
    expect(parseJobSpec(minimal, { currency: 'USD-Blockchain' }).currency).toBe('USD-Blockchain');
    expect(parseJobSpec(full, { currency: 'USD-Blockchain' }).currency).toBe('bitcoin');
    expect(applySpecDefaults(parseJobSpec(minimal), { currency: 'bitcoin' }).currency).toBe('bitcoin');
  });

  it('imageHasSshd defaults to false (Clore injects its SSH entrypoint) and is kept in the stored form', () => {
    expect(parseJobSpec(minimal).imageHasSshd).toBe(false);
    const own = toStoredSpec(
      parseJobSpec({ ...minimal, imageHasSshd: true }, { currency: 'USD-Blockchain' }),
    );
    expect(own.imageHasSshd).toBe(true);
    expect(specIssues({ ...minimal, imageHasSshd: 'yes' })).toMatchObject([{ path: 'imageHasSshd' }]);
  });

  it('registryAuth is a secret: validated, then only whether there is one is stored', () => {
    const auth = 'registry_secret_user:token';
    const parsed = parseJobSpec({ ...minimal, registryAuth: auth }, { currency: 'USD-Blockchain' });
    expect(parsed.registryAuth).toBe(auth);
    const stored = toStoredSpec(parsed);
    expect(stored.hasRegistryAuth).toBe(true);
    expect(JSON.stringify(stored)).not.toContain('registry_secret');
    expect(StoredJobSpecSchema.parse(stored)).toEqual(stored);
    expect(toStoredSpec(parseJobSpec(minimal, { currency: 'USD-Blockchain' })).hasRegistryAuth).toBe(false);
    expect(specIssues({ ...minimal, registryAuth: '' })).toMatchObject([{ path: 'registryAuth' }]);
    expect(specIssues({ ...minimal, registryAuth: 'x'.repeat(5_000) })).toMatchObject([
      { path: 'registryAuth' },
    ]);
  });

  it('workdir names an upload by its SHA-256 and is stored as given', () => {
    const workdir = { upload: 'a'.repeat(64) };
    const stored = toStoredSpec(parseJobSpec({ ...minimal, workdir }, { currency: 'USD-Blockchain' }));
    expect(stored.workdir).toEqual(workdir);
    expect(StoredJobSpecSchema.parse(stored)).toEqual(stored);
    expect(toStoredSpec(parseJobSpec(minimal, { currency: 'USD-Blockchain' })).workdir).toBeUndefined();
    for (const bad of [
      { upload: 'A'.repeat(64) },
      { upload: 'a'.repeat(63) },
      { upload: 'a'.repeat(64), x: 1 },
      {},
    ]) {
      expect(specIssues({ ...minimal, workdir: bad })[0]?.path).toMatch(/^workdir/);
    }
  });

  it('stores names of secret variables, never their values', () => {
    const stored = toStoredSpec(parseJobSpec(full, { currency: 'CLORE-Blockchain' }));
    expect(stored.secretEnvNames).toEqual(['HF_TOKEN']);
    expect(JSON.stringify(stored)).not.toContain('hf_secret');
    expect(StoredJobSpecSchema.parse(stored)).toEqual(stored);
  });
});

describe('JSON Schema', () => {
  it('converts the input schema for OpenAPI, strict at every level', () => {
    const schema = z.toJSONSchema(JobSpecSchema, { io: 'input' }) as {
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, { additionalProperties?: boolean; anyOf?: unknown[] }>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required.sort()).toEqual(['budgetUsd', 'command', 'gpu', 'image', 'maxPricePerHourUsd']);
    expect(schema.properties.gpu?.additionalProperties).toBe(false);
    expect(schema.properties.gpu).toMatchObject({ properties: { model: { anyOf: expect.any(Array) } } });
  });

  it('converts the stored form (output side) too', () => {
    const schema = z.toJSONSchema(StoredJobSpecSchema, { io: 'output' }) as { required: string[] };
    expect(schema.required).toContain('secretEnvNames');
    expect(schema.required).toContain('currency');
  });
});
