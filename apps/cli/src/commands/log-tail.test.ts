import { describe, expect, it } from 'vitest';
import { lastLines } from './log-tail';

const text = (buf: Buffer | undefined) => buf?.toString('utf8');

describe('lastLines', () => {
  it('keeps the last N lines, a final line without a newline included', () => {
    expect(text(lastLines(Buffer.from('a\nb\nc\n'), 2, true))).toBe('b\nc\n');
    expect(text(lastLines(Buffer.from('a\nb\nc'), 2, true))).toBe('b\nc');
    expect(text(lastLines(Buffer.from('a\nb\n'), 5, true))).toBe('a\nb\n');
    expect(text(lastLines(Buffer.from(''), 3, true))).toBe('');
    expect(text(lastLines(Buffer.from('a\nb\n'), 0, true))).toBe('');
  });

  it('asks for more when a window that may start inside a line holds too few', () => {
    expect(lastLines(Buffer.from('tail of a line\nb\n'), 2, false)).toBeUndefined();
    expect(text(lastLines(Buffer.from('tail of a line\nb\nc\n'), 2, false))).toBe('b\nc\n');
  });
});
