/** A GPU model the generated marketplace offers, with a realistic USD per-hour price range per GPU. */
export interface GpuModel {
  /** As in `gpu_array` and `specs.gpu`. */
  name: string;
  vramGb: number;
  usdPerHour: [number, number];
  /** Relative frequency on the marketplace. */
  weight: number;
  cuda: readonly string[];
}

/**
 * The catalogue as a table (one row a model): name | VRAM GB | USD/h per GPU (low-high) | weight |
 * CUDA versions. Parsed once at load; a malformed row throws at start-up.
 */
const GPU_TABLE = `
  NVIDIA GeForce GTX 1080 Ti  |  11 | 0.04-0.08 |   2 | 11.8 12.2
  NVIDIA GeForce RTX 3060     |  12 | 0.05-0.11 |   6 | 12.2 12.4
  NVIDIA GeForce RTX 3070     |   8 | 0.07-0.14 |   4 | 12.2 12.4
  NVIDIA GeForce RTX 3080     |  10 |  0.1-0.18 |   5 | 12.2 12.4
  NVIDIA GeForce RTX 3090     |  24 | 0.14-0.3  |  12 | 12.2 12.4 12.6
  NVIDIA GeForce RTX 4070     |  12 | 0.12-0.2  |   4 | 12.4 12.6
  NVIDIA GeForce RTX 4080     |  16 |  0.2-0.35 |   4 | 12.4 12.6
  NVIDIA GeForce RTX 4090     |  24 |  0.3-0.6  |  14 | 12.4 12.6 12.8
  NVIDIA GeForce RTX 5090     |  32 | 0.55-1.1  |   5 | 12.8
  NVIDIA RTX A4000            |  16 | 0.12-0.22 |   3 | 12.2 12.4
  NVIDIA RTX A5000            |  24 | 0.18-0.32 |   3 | 12.2 12.4
  NVIDIA RTX A6000            |  48 | 0.35-0.7  |   3 | 12.4 12.6
  NVIDIA A100 80GB PCIe       |  80 |  0.9-1.6  |   3 | 12.4 12.6
  NVIDIA H100 80GB HBM3       |  80 |  1.8-2.9  |   2 | 12.6 12.8
`;

function parseGpuRow(row: string): GpuModel {
  const [name, vram, price, weight, cuda] = row.split('|').map((cell) => cell.trim());
  const [low, high] = (price ?? '').split('-').map(Number);
  const model: GpuModel = {
    name: name ?? '',
    vramGb: Number(vram),
    usdPerHour: [low ?? Number.NaN, high ?? Number.NaN],
    weight: Number(weight),
    cuda: (cuda ?? '').split(' ').filter(Boolean),
  };
  const numbers = [model.vramGb, model.weight, ...model.usdPerHour];
  if (!model.name || model.cuda.length === 0 || numbers.some((n) => !Number.isFinite(n))) {
    throw new Error(`gpu-models.ts: malformed GPU table row: ${row}`);
  }
  return model;
}

export const GPU_MODELS: readonly GpuModel[] = GPU_TABLE.trim().split('\n').map(parseGpuRow);

/** GPU counts and how often each appears (most servers have 1 or 2 GPUs). */
export const GPU_COUNTS: readonly (readonly [number, number])[] = [
  [1, 10],
  [2, 4],
  [3, 1],
  [4, 2],
  [6, 0.5],
  [8, 1],
];

export const CPUS: readonly (readonly [string, string])[] = [
  ['AMD Ryzen 9 5950X 16-Core Processor', '16/32'],
  ['AMD Ryzen 7 5800X 8-Core Processor', '8/16'],
  ['Intel Core i9-11900', '8/16'],
  ['Intel Core i7-12700K', '12/20'],
  ['AMD EPYC 7543 32-Core Processor', '32/64'],
  ['Intel Xeon Gold 6338', '32/64'],
  ['AMD Ryzen Threadripper PRO 5975WX', '32/64'],
];

export const BOARDS: readonly string[] = [
  'Z590 GAMING X',
  'X570 AORUS ELITE',
  'ROG STRIX B550-F',
  'H12SSL-i',
  'WRX80 SAGE',
];
export const COUNTRIES: readonly string[] = ['CZ', 'DE', 'US', 'PL', 'NL', 'FI', 'CA', 'RU', 'UA', 'HK'];
