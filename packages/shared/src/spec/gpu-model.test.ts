import { describe, expect, it } from 'vitest';
import { gpuModelMatches } from './gpu-model';

// Real gpu_array strings from the Clore marketplace.
const RTX_4090 = 'NVIDIA GeForce RTX 4090';
const RTX_4090_D = 'NVIDIA GeForce RTX 4090 D';
const RTX_3090 = 'NVIDIA GeForce RTX 3090';
const RTX_3090_TI = 'NVIDIA GeForce RTX 3090 Ti';
const A100_SXM4_80 = 'NVIDIA A100-SXM4-80GB';
const A100_SXM4_40 = 'NVIDIA A100-SXM4-40GB';
const A100_PCIE_80 = 'NVIDIA A100 80GB PCIe';
const H100_PCIE = 'NVIDIA H100 PCIe';
const RTX_3060_LAPTOP = 'NVIDIA GeForce RTX 3060 Laptop GPU';
const V100_SXM2 = 'Tesla V100-SXM2-16GB';
const RTX_4080_SUPER = 'NVIDIA GeForce RTX 4080 SUPER';
const RTX_2080_MAXQ = 'NVIDIA GeForce RTX 2080 with Max-Q Design';

describe('gpuModelMatches: whole model names', () => {
  it('matches the model whatever the vendor prefix and case', () => {
    expect(gpuModelMatches('RTX 4090', RTX_4090)).toBe(true);
    expect(gpuModelMatches('rtx 4090', RTX_4090)).toBe(true);
    expect(gpuModelMatches('GeForce RTX 4090', RTX_4090)).toBe(true);
    expect(gpuModelMatches('NVIDIA GeForce RTX 4090', RTX_4090)).toBe(true);
    expect(gpuModelMatches('4090', RTX_4090)).toBe(true);
    expect(gpuModelMatches('V100', V100_SXM2)).toBe(true);
  });

  it('a variant (Ti, D, SUPER, Laptop, Max-Q) is a different model', () => {
    expect(gpuModelMatches('RTX 4090', RTX_4090_D)).toBe(false);
    expect(gpuModelMatches('RTX 3090', RTX_3090_TI)).toBe(false);
    expect(gpuModelMatches('RTX 3090 Ti', RTX_3090)).toBe(false);
    expect(gpuModelMatches('RTX 3090 Ti', RTX_3090_TI)).toBe(true);
    expect(gpuModelMatches('RTX 4090 D', RTX_4090_D)).toBe(true);
    expect(gpuModelMatches('RTX 3060', RTX_3060_LAPTOP)).toBe(false);
    expect(gpuModelMatches('RTX 3060 Laptop', RTX_3060_LAPTOP)).toBe(true);
    expect(gpuModelMatches('RTX 4080', RTX_4080_SUPER)).toBe(false);
    expect(gpuModelMatches('RTX 2080', RTX_2080_MAXQ)).toBe(false);
  });

  it('memory and form-factor suffixes (80GB, PCIe, SXM4, NVL) are the same model', () => {
    expect(gpuModelMatches('A100', A100_SXM4_80)).toBe(true);
    expect(gpuModelMatches('A100', A100_PCIE_80)).toBe(true);
    expect(gpuModelMatches('H100', H100_PCIE)).toBe(true);
    expect(gpuModelMatches('H100 SXM5', H100_PCIE)).toBe(false);
    expect(gpuModelMatches('H100', 'NVIDIA H100 NVL')).toBe(true);
    expect(gpuModelMatches('H100', 'NVIDIA H100 80GB HBM3')).toBe(true);
    expect(gpuModelMatches('A100 80GB', A100_SXM4_80)).toBe(true);
    expect(gpuModelMatches('A100 80GB', A100_PCIE_80)).toBe(true);
    expect(gpuModelMatches('A100 80GB', A100_SXM4_40)).toBe(false);
  });

  it('never matches on part of a word, nor an empty name', () => {
    expect(gpuModelMatches('RTX 409', RTX_4090)).toBe(false);
    expect(gpuModelMatches('90', RTX_4090)).toBe(false);
    expect(gpuModelMatches('A10', A100_SXM4_80)).toBe(false);
    expect(gpuModelMatches('', RTX_4090)).toBe(false);
    expect(gpuModelMatches('NVIDIA', RTX_4090)).toBe(false);
  });
});
