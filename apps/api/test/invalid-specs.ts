/**
 * A seeded generator of invalid job specs for the fuzz test: each one is a valid spec with one to
 * three mutations (wrong type, unknown field, out-of-range number, bad env name, bad path, missing
 * required field, over-long string), and the dot path of each mutated field.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Spec = Record<string, unknown> & { gpu: Record<string, unknown> };
type Mutation = (spec: Spec, pick: <T>(items: readonly T[]) => T) => string;

const WRONG_TYPES: readonly unknown[] = [
  null,
  true,
  42,
  -1.5,
  'text',
  [],
  ['a', 1],
  {},
  { nested: { deep: 1 } },
];
const notString = WRONG_TYPES.filter((v) => typeof v !== 'string');
const notNumber = WRONG_TYPES.filter((v) => typeof v !== 'number');

/** The spec's gpu object, put back first if an earlier mutation removed or replaced it. */
function gpuOf(s: Spec): Record<string, unknown> {
  if (typeof s.gpu !== 'object' || s.gpu === null || Array.isArray(s.gpu)) {
    s.gpu = { model: 'RTX 4090' };
  }
  return s.gpu;
}

const mutations: Mutation[] = [
  (s, pick) => {
    const field = pick(['name', 'image', 'command', 'orderType', 'currency', 'webhookUrl']);
    s[field] = pick(notString);
    return field;
  },
  (s, pick) => {
    const field = pick([
      'maxPricePerHourUsd',
      'budgetUsd',
      'minReliability',
      'timeoutSeconds',
      'maxAttempts',
    ]);
    s[field] = pick(notNumber);
    return field;
  },
  (s, pick) => {
    const field = pick(['env', 'secretEnv', 'outputs', 'gpu']);
    const values: readonly unknown[] =
      field === 'outputs' ? [42, 'text', { a: 1 }, true] : [42, 'text', ['A=1'], true];
    s[field] = pick(values);
    return field;
  },
  (s, pick) => {
    const field = pick(['colour', 'gpuModel', 'priority', '__proto_x', 'Budget', 'cmd']);
    s[field] = pick(WRONG_TYPES);
    return field;
  },
  (s, pick) => {
    const field = pick(['vram', 'models', 'type']);
    gpuOf(s)[field] = 1;
    return `gpu.${field}`;
  },
  (s, pick) => {
    const [field, value] = pick([
      ['maxPricePerHourUsd', 0],
      ['maxPricePerHourUsd', -3],
      ['maxPricePerHourUsd', 1e9],
      ['budgetUsd', 0],
      ['budgetUsd', -0.01],
      ['budgetUsd', 1e12],
      ['minReliability', 1.01],
      ['minReliability', -0.5],
      ['timeoutSeconds', 0],
      ['timeoutSeconds', 2.5],
      ['timeoutSeconds', 1e10],
      ['maxAttempts', 0],
      ['maxAttempts', 11],
      ['maxAttempts', 3.3],
    ] as const);
    s[field] = value;
    return field;
  },
  (s, pick) => {
    const [field, value] = pick([
      ['count', 0],
      ['count', 1.5],
      ['count', 999],
      ['minVramGb', -8],
      ['minVramGb', 0],
      ['model', []],
      ['model', ''],
      ['model', 4090],
    ] as const);
    gpuOf(s)[field] = value;
    return `gpu.${field}`;
  },
  (s, pick) => {
    const map = pick(['env', 'secretEnv']);
    const name = pick(['1BAD', 'MY-VAR', 'a b', '', 'x.y', 'É']);
    s[map] = { [name]: 'value' };
    return `${map}.${name}`;
  },
  (s, pick) => {
    const map = pick(['env', 'secretEnv']);
    s[map] = { GOOD_NAME: pick([1, null, true, ['x'], { v: 1 }, 'nul\u0000byte']) };
    return `${map}.GOOD_NAME`;
  },
  (s, pick) => {
    s.outputs = ['/ok', pick(['relative/path', '/a/../etc', '', '/with\u0000nul', 7])];
    return 'outputs.1';
  },
  (s, pick) => {
    s.webhookUrl = pick(['not a url', 'ftp://example.com/x', 'http://example.com/x', 'mailto:a@b.c', '//x']);
    return 'webhookUrl';
  },
  (s, pick) => {
    const field = pick(['gpu', 'image', 'command', 'maxPricePerHourUsd', 'budgetUsd']);
    delete s[field];
    return field;
  },
  (s) => {
    delete gpuOf(s).model;
    return 'gpu.model';
  },
  (s, pick) => {
    const [field, value] = pick([
      ['name', 'n'.repeat(101)],
      ['image', 'i'.repeat(513)],
      ['image', 'has space'],
      ['command', '   '],
      ['orderType', 'reserved'],
      ['currency', 'dogecoin'],
    ] as const);
    s[field] = value;
    return field;
  },
];

export interface InvalidBody {
  body: Record<string, unknown>;
  /** The dot path of every mutated field (each must be named by at least one issue). */
  paths: string[];
}

export function* invalidSpecs(
  seed: number,
  count: number,
  valid: () => Record<string, unknown>,
): Generator<InvalidBody> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  for (let i = 0; i < count; i += 1) {
    const spec = structuredClone(valid()) as Spec;
    const paths: string[] = [];
    const n = 1 + Math.floor(random() * 3);
    for (let m = 0; m < n; m += 1) {
      const path = pick(mutations)(spec, pick);
      // A later mutation may overwrite an earlier one's parent (e.g. gpu replaced): keep what still applies.
      paths.push(path);
    }
    yield { body: spec, paths };
  }
}
