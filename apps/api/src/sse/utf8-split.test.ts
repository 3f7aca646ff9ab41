import { describe, expect, it } from 'vitest';
import { formatEventId, parseEventId } from './event-id';
import { splitUtf8 } from './utf8-split';

describe('splitUtf8', () => {
  it.each([
    ['ascii', 'abc', 0],
    ['a complete 2-byte char', 'aé', 0],
    ['a complete 4-byte char', 'a😀', 0],
  ])('keeps %s whole', (_label, text, held) => {
    const [complete, rest] = splitUtf8(Buffer.from(text));
    expect(rest.length).toBe(held);
    expect(complete.toString('utf8')).toBe(text);
  });

  it('holds back every incomplete tail of 2, 3 and 4-byte characters', () => {
    for (const char of ['é', '€', '😀']) {
      const bytes = Buffer.from(`x${char}`);
      for (let cut = 2; cut < bytes.length; cut += 1) {
        const [complete, rest] = splitUtf8(bytes.subarray(0, cut));
        expect(complete.toString('utf8')).toBe('x');
        expect(Buffer.concat([rest, bytes.subarray(cut)]).toString('utf8')).toBe(char);
      }
    }
  });

  it('does not hold back invalid bytes forever', () => {
    const [complete, rest] = splitUtf8(Buffer.from([0x61, 0xff]));
    expect(rest.length).toBe(0);
    expect(complete.length).toBe(2);
  });
});

describe('SSE event ids', () => {
  it('round-trips and rejects anything else', () => {
    expect(parseEventId(formatEventId({ offset: 123, index: 4 }))).toEqual({ offset: 123, index: 4 });
    expect(parseEventId(undefined)).toEqual({ offset: 0, index: 0 });
    for (const bad of ['1', '1.2.3', '-1.0', 'a.b', '1e3.0']) {
      expect(() => parseEventId(bad)).toThrow(/Last-Event-ID/);
    }
  });
});
