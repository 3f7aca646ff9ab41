import { gpuModelMatches, parseGpuModel } from '../spec/gpu-model';

/**
 * GPU model names as people type them, for offers and "did you mean" answers: the model words of a
 * server's GPU name in their own case ("NVIDIA GeForce RTX 4090" → "RTX 4090", "NVIDIA A100 80GB
 * PCIe" → "A100"), a name that names exactly that model in a spec (spec/gpu-model.ts).
 */
export function shortGpuName(name: string): string {
  const words = name.split(/[\s\-_/]+/).filter((w) => w !== '');
  const model = parseGpuModel(name).model;
  // parseGpuModel lowercases and drops vendor, memory and form-factor words; keep the same words in
  // the server's own spelling.
  const kept: string[] = [];
  let next = 0;
  for (const word of words) {
    if (next < model.length && word.toLowerCase() === model[next]) {
      kept.push(word);
      next += 1;
    }
  }
  return kept.length > 0 ? kept.join(' ') : name.trim();
}

/**
 * Edit distance: insertions, deletions and substitutions of one character, and swaps of two
 * neighbours ("4900" is one edit from "4090"), each counting one (optimal string alignment).
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The distinct GPU names of a listing (each server's `gpus` entries), sorted. */
export function knownGpuNames(servers: ReadonlyArray<{ gpus: readonly string[] }>): string[] {
  return [...new Set(servers.flatMap((server) => server.gpus))].sort();
}

/** Whether `wanted` (a spec's model) names at least one of `names`. */
export function namesAnyGpu(wanted: string, names: readonly string[]): boolean {
  return names.some((name) => gpuModelMatches(wanted, name));
}

/**
 * Up to `max` short model names (shortGpuName) closest to `wanted` by edit distance over the model
 * words (vendor words and case ignored: "rtx4090" is one edit from "RTX 4090"), nearest first; none
 * further than about half the typed name, so a word that names no GPU gets no suggestion.
 */
export function suggestGpuModels(wanted: string, names: readonly string[], max = 3): string[] {
  const typed = parseGpuModel(wanted).model.join(' ');
  const limit = Math.max(2, Math.ceil(typed.length / 2));
  const scored = [...new Set(names.map(shortGpuName))]
    .map((short) => ({ short, distance: editDistance(typed, parseGpuModel(short).model.join(' ')) }))
    .filter((entry) => entry.distance <= limit)
    .sort((a, b) => a.distance - b.distance || a.short.localeCompare(b.short));
  return scored.slice(0, max).map((entry) => entry.short);
}
