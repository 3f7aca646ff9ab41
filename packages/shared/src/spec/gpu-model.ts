/**
 * GPU model names as whole models (docs/decisions/0116). A server's `gpu_array` entry ("NVIDIA
 * GeForce RTX 4090 D", "NVIDIA A100-SXM4-80GB", "Tesla V100-SXM2-16GB") and a spec's model ("RTX
 * 4090") are split into words (spaces, `-`, `_`, `/`), case-insensitively:
 * - vendor and brand words are ignored: NVIDIA, GeForce, Tesla, AMD, and a bare "GPU";
 * - memory and form-factor words are the same model: `<n>GB`, PCIe, SXM/SXM2..SXM5, NVL, HBM3;
 * - every other word is part of the model: a variant (Ti, D, SUPER, Laptop, Max-Q, XT, ...) is a
 *   different model.
 * The spec's model words must be the last model words of the server's name ("4090" and "RTX 4090"
 * both name "NVIDIA GeForce RTX 4090"; neither names "RTX 4090 D"). Memory or form-factor words the
 * spec does give must all be in the server's name ("A100 80GB" is not an A100-SXM4-40GB).
 */

const IGNORED = new Set(['nvidia', 'geforce', 'tesla', 'amd', 'gpu']);
const SAME_MODEL = /^(\d+gb|pcie|sxm\d?|nvl|hbm\d?e?)$/;

export interface GpuModelName {
  /** The words that name the model, in order. */
  model: string[];
  /** Memory and form-factor words. */
  variants: Set<string>;
}

export function parseGpuModel(name: string): GpuModelName {
  const words = name
    .toLowerCase()
    .split(/[\s\-_/]+/)
    .filter((w) => w !== '' && !IGNORED.has(w));
  return {
    model: words.filter((w) => !SAME_MODEL.test(w)),
    variants: new Set(words.filter((w) => SAME_MODEL.test(w))),
  };
}

/** Whether the spec's model `wanted` names the server's GPU `name`. */
export function gpuModelMatches(wanted: string, name: string): boolean {
  const w = parseGpuModel(wanted);
  const n = parseGpuModel(name);
  if (w.model.length === 0 || w.model.length > n.model.length) {
    return false;
  }
  const tail = n.model.slice(n.model.length - w.model.length);
  if (!tail.every((word, i) => word === w.model[i])) {
    return false;
  }
  return [...w.variants].every((v) => n.variants.has(v));
}
