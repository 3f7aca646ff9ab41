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

export const GPU_MODELS: readonly GpuModel[] = [
  {
    name: 'NVIDIA GeForce GTX 1080 Ti',
    vramGb: 11,
    usdPerHour: [0.04, 0.08],
    weight: 2,
    cuda: ['11.8', '12.2'],
  },
  {
    name: 'NVIDIA GeForce RTX 3060',
    vramGb: 12,
    usdPerHour: [0.05, 0.11],
    weight: 6,
    cuda: ['12.2', '12.4'],
  },
  { name: 'NVIDIA GeForce RTX 3070', vramGb: 8, usdPerHour: [0.07, 0.14], weight: 4, cuda: ['12.2', '12.4'] },
  { name: 'NVIDIA GeForce RTX 3080', vramGb: 10, usdPerHour: [0.1, 0.18], weight: 5, cuda: ['12.2', '12.4'] },
  {
    name: 'NVIDIA GeForce RTX 3090',
    vramGb: 24,
    usdPerHour: [0.14, 0.3],
    weight: 12,
    cuda: ['12.2', '12.4', '12.6'],
  },
  { name: 'NVIDIA GeForce RTX 4070', vramGb: 12, usdPerHour: [0.12, 0.2], weight: 4, cuda: ['12.4', '12.6'] },
  { name: 'NVIDIA GeForce RTX 4080', vramGb: 16, usdPerHour: [0.2, 0.35], weight: 4, cuda: ['12.4', '12.6'] },
  {
    name: 'NVIDIA GeForce RTX 4090',
    vramGb: 24,
    usdPerHour: [0.3, 0.6],
    weight: 14,
    cuda: ['12.4', '12.6', '12.8'],
  },
  { name: 'NVIDIA GeForce RTX 5090', vramGb: 32, usdPerHour: [0.55, 1.1], weight: 5, cuda: ['12.8'] },
  { name: 'NVIDIA RTX A4000', vramGb: 16, usdPerHour: [0.12, 0.22], weight: 3, cuda: ['12.2', '12.4'] },
  { name: 'NVIDIA RTX A5000', vramGb: 24, usdPerHour: [0.18, 0.32], weight: 3, cuda: ['12.2', '12.4'] },
  { name: 'NVIDIA RTX A6000', vramGb: 48, usdPerHour: [0.35, 0.7], weight: 3, cuda: ['12.4', '12.6'] },
  { name: 'NVIDIA A100 80GB PCIe', vramGb: 80, usdPerHour: [0.9, 1.6], weight: 3, cuda: ['12.4', '12.6'] },
  { name: 'NVIDIA H100 80GB HBM3', vramGb: 80, usdPerHour: [1.8, 2.9], weight: 2, cuda: ['12.6', '12.8'] },
];

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
