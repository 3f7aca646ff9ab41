/** What replaces each run of masked bytes, as in GitHub Actions. */
export const MASK = '***';
const MASK_BYTES = Buffer.from(MASK);
/** Shorter values are not masked: `***` for every `a` or `1` would garble the log and hide nothing. */
export const MIN_MASKED_CHARS = 4;

/**
 * The masker's state at a settle point, enough to go on from there with a fresh masker fed the same
 * input from the same position (docs/decisions/0130). Numbers only: it holds no secret byte.
 */
export interface MaskState {
  /** The last byte given out was masked (its `***` is out): a masked run that goes on adds nothing. */
  open: boolean;
  /** This many bytes from the settle point on are known to be masked (a value that began before it). */
  ahead: number;
}

export const FRESH_MASK_STATE: MaskState = Object.freeze({ open: false, ahead: 0 });

/** The values worth masking: strings of 4+ characters, as UTF-8 bytes, each once. */
export function maskableValues(values: Iterable<string>): Buffer[] {
  const unique = new Set<string>();
  for (const value of values) {
    if ([...value].length >= MIN_MASKED_CHARS) {
      unique.add(value);
    }
  }
  return [...unique].map((value) => Buffer.from(value, 'utf8'));
}

/**
 * Replaces every occurrence of the secret values in a byte stream by `***`, one `***` per run of
 * masked bytes (overlapping or adjacent occurrences, also of different values, are one run), so no
 * byte of an occurrence is ever given out. Matching is on bytes, so multi-byte UTF-8 values and
 * chunks split inside a character need nothing special, and the output stays valid UTF-8.
 *
 * Streaming: `push` gives out what is final and holds back the shortest suffix that could still
 * begin a value (at most the longest value − 1 bytes); `end` gives out the rest. The output does not
 * depend on how the input is chunked, and `state` at any point lets a fresh masker go on from
 * `settled` with the same result.
 */
export class SecretMasker {
  private readonly values: Buffer[];
  private pending: Buffer = Buffer.alloc(0);
  private current: MaskState;

  constructor(values: readonly Buffer[], state: MaskState = FRESH_MASK_STATE) {
    this.values = values.filter((value) => value.length > 0);
    this.current = { ...state };
  }

  /** Bytes pushed but not yet given out (they come again after a restart from `settled`). */
  get held(): number {
    return this.pending.length;
  }

  get state(): MaskState {
    return { ...this.current };
  }

  push(chunk: Buffer): Buffer {
    return this.mask(chunk, false);
  }

  end(): Buffer {
    return this.mask(Buffer.alloc(0), true);
  }

  private mask(chunk: Buffer, final: boolean): Buffer {
    if (this.values.length === 0) {
      return chunk;
    }
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const hold = final ? buf.length : this.holdFrom(buf);
    const runs = this.maskedRuns(buf, hold);
    const out: Buffer[] = [];
    let { open } = this.current;
    let pos = 0;
    let maxEnd = this.current.ahead;
    for (const [start, end] of runs) {
      if (start > pos) {
        out.push(buf.subarray(pos, start));
        open = false;
      }
      if (!open) {
        out.push(MASK_BYTES);
        open = true;
      }
      pos = Math.min(end, hold);
      maxEnd = Math.max(maxEnd, end);
    }
    if (pos < hold) {
      out.push(buf.subarray(pos, hold));
      open = false;
    }
    this.current = { open, ahead: Math.max(0, maxEnd - hold) };
    this.pending = Buffer.from(buf.subarray(hold)); // a copy: do not keep the whole chunk alive
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  /** Where the shortest suffix of `buf` that is a proper prefix of a value begins (`buf.length` if none). */
  private holdFrom(buf: Buffer): number {
    const longest = Math.max(...this.values.map((value) => value.length));
    for (let i = Math.max(0, buf.length - longest + 1); i < buf.length; i += 1) {
      const rest = buf.length - i;
      if (this.values.some((value) => value.length > rest && buf.compare(value, 0, rest, i) === 0)) {
        return i;
      }
    }
    return buf.length;
  }

  /**
   * The merged [start, end) runs of masked bytes that begin before `hold`: the bytes known masked
   * from before, and every occurrence that starts before `hold` (each is complete in `buf`, or it
   * would have been held back).
   */
  private maskedRuns(buf: Buffer, hold: number): Array<[number, number]> {
    const found: Array<[number, number]> = [];
    if (this.current.ahead > 0) {
      found.push([0, this.current.ahead]);
    }
    for (const value of this.values) {
      for (let at = buf.indexOf(value); at !== -1 && at < hold; at = buf.indexOf(value, at + 1)) {
        found.push([at, at + value.length]);
      }
    }
    found.sort((a, b) => a[0] - b[0]);
    const runs: Array<[number, number]> = [];
    for (const [start, end] of found) {
      const last = runs.at(-1);
      if (last !== undefined && start <= last[1]) {
        last[1] = Math.max(last[1], end);
      } else {
        runs.push([start, end]);
      }
    }
    return runs;
  }
}
