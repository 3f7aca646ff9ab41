import { describe, expect, it } from 'vitest';
import { maskableValues, SecretMasker } from './secret-masker';

/** The definition, on the whole input at once: every byte of an occurrence masked, one `***` per run. */
function reference(input: Buffer, values: Buffer[]): Buffer {
  const masked = new Array<boolean>(input.length).fill(false);
  for (const value of values) {
    for (let at = input.indexOf(value); at !== -1; at = input.indexOf(value, at + 1)) {
      masked.fill(true, at, at + value.length);
    }
  }
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += 1) {
    if (!masked[i]) {
      out.push(input.subarray(i, i + 1));
    } else if (i === 0 || !masked[i - 1]) {
      out.push(Buffer.from('***'));
    }
  }
  return Buffer.concat(out);
}

function inChunks(input: Buffer, values: Buffer[], cuts: number[]): Buffer {
  const masker = new SecretMasker(values);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    out.push(masker.push(input.subarray(from, cut)));
    expect(masker.held).toBeLessThan(Math.max(1, ...values.map((v) => v.length)));
    from = cut;
  }
  out.push(masker.end());
  return Buffer.concat(out);
}

/** Stop after `cut` bytes, go on with a fresh masker from the settle point and the saved state. */
function resumed(input: Buffer, values: Buffer[], cut: number): Buffer {
  const first = new SecretMasker(values);
  const head = first.push(input.subarray(0, cut));
  const settled = cut - first.held;
  const second = new SecretMasker(values, first.state);
  return Buffer.concat([head, second.push(input.subarray(settled)), second.end()]);
}

const CASES: Array<{ name: string; values: string[]; input: string }> = [
  { name: 'one value, repeated and adjacent', values: ['abcd'], input: 'x abcd y abcdabcd z abcabcd' },
  { name: 'overlapping values', values: ['abcd', 'cdef'], input: '1abcdef2 cdefab abcdcdef abcde' },
  {
    name: 'a value that is a prefix of another',
    values: ['abcd', 'abcdefgh'],
    input: 'abcdefg abcdefgh abcd-abcdefghi',
  },
  { name: 'a value inside another', values: ['secret-token', 'ret-t'], input: 'secret-token ret-to secret-' },
  { name: 'self-overlapping value', values: ['aaaa'], input: 'aaaaaaa baaab aaaa' },
  {
    name: 'multi-byte UTF-8',
    values: ['pässwörd', '秘密の鍵です'],
    input: 'é pässwörd 秘密の鍵です ö pässwör 秘密の',
  },
  {
    name: 'a value ending where another begins',
    values: ['abcdef', 'efgh'],
    input: 'abcdefgh abcdef efgh abcdefg',
  },
  { name: 'nothing to mask', values: ['zzzz'], input: 'plain output\nwith lines\n' },
];

describe('SecretMasker', () => {
  for (const { name, values, input } of CASES) {
    const bytes = Buffer.from(input, 'utf8');
    const secrets = maskableValues(values);
    const expected = reference(bytes, secrets);

    it(`${name}: the same output for a cut at every position`, () => {
      for (let cut = 0; cut <= bytes.length; cut += 1) {
        expect(inChunks(bytes, secrets, [cut]).toString('utf8'), `cut at ${cut}`).toBe(
          expected.toString('utf8'),
        );
      }
    });

    it(`${name}: the same output for every pair of cuts`, () => {
      for (let a = 0; a <= bytes.length; a += 1) {
        for (let b = a; b <= bytes.length; b += 1) {
          expect(inChunks(bytes, secrets, [a, b]).equals(expected), `cuts at ${a}, ${b}`).toBe(true);
        }
      }
    });

    it(`${name}: the same output resumed from the settle point and state at every position`, () => {
      for (let cut = 0; cut <= bytes.length; cut += 1) {
        expect(resumed(bytes, secrets, cut).equals(expected), `resumed at ${cut}`).toBe(true);
      }
    });

    it(`${name}: byte by byte`, () => {
      const cuts = Array.from({ length: bytes.length }, (_, i) => i);
      expect(inChunks(bytes, secrets, cuts).equals(expected)).toBe(true);
    });
  }

  it('masks whole occurrences and nothing else', () => {
    const secrets = maskableValues(['abcd', 'cdef', 'abcdefgh']);
    const out = inChunks(Buffer.from('[abcdef] [abcdefgh] [abc] [cde] [abcdabcd]'), secrets, [3, 9, 14]);
    expect(out.toString()).toBe('[***] [***] [abc] [cde] [***]');
  });

  it('a value split across two chunks is masked, and held back only while it may be a value', () => {
    const masker = new SecretMasker(maskableValues(['abcd']));
    expect(masker.push(Buffer.from('xx ab')).toString()).toBe('xx ');
    expect(masker.held).toBe(2);
    expect(masker.push(Buffer.from('cd yy')).toString()).toBe('*** yy');
    expect(masker.push(Buffer.from('abc')).toString()).toBe('');
    expect(masker.end().toString()).toBe('abc');
  });

  it('keeps the bytes of a character split by a chunk intact', () => {
    const input = Buffer.from('é→ü 秘密 done', 'utf8');
    const secrets = maskableValues(['never-there']);
    for (let cut = 0; cut <= input.length; cut += 1) {
      expect(inChunks(input, secrets, [cut]).equals(input)).toBe(true);
    }
  });

  it('masks values of 4+ characters only, each once', () => {
    expect(maskableValues(['abc', 'abcd', 'abcd', '', 'äöü', 'äöüß']).map((b) => b.toString())).toEqual([
      'abcd',
      'äöüß',
    ]);
  });

  it('without values it passes chunks through as they are', () => {
    const masker = new SecretMasker([]);
    const chunk = Buffer.from('abcd');
    expect(masker.push(chunk)).toBe(chunk);
    expect(masker.end().length).toBe(0);
  });
});
