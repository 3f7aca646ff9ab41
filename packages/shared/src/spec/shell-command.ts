import { AppError } from '../errors/app-error';

/**
 * Quote a value as one POSIX-sh word: wrap it in single quotes and write each embedded `'` as
 * `'\''`. Inside single quotes the shell interprets nothing (`$`, backquotes, `\`, newlines), so any
 * string except one holding a NUL byte round-trips exactly.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) {
    throw new AppError('VALIDATION_FAILED', 'a shell value cannot contain a NUL byte');
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Characters no POSIX shell treats specially anywhere in a word. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * The spec's `command` (run with `sh -c`) from the words a user typed after `--`: one word is a
 * shell script as it stands (`-- 'echo a && echo b'`); several words are an argv, each quoted when
 * it needs it, so `-- python train.py --lr "0.1 0.2"` runs exactly those three arguments.
 */
export function commandFromArgv(words: readonly string[]): string {
  if (words.length === 1) {
    return words[0] as string;
  }
  return words.map((word) => (PLAIN_WORD.test(word) ? word : shellQuote(word))).join(' ');
}
