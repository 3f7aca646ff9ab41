import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { shellQuote } from '@clore-batch/shared';
import { describe, expect, it } from 'vitest';
import { envFileContent } from './shell-quote';

const run = promisify(execFile);

/** Random strings heavy in what shells treat specially. */
function nasty(n: number): string[] {
  const alphabet = [...'\'"\\$`!*?[]{}()<>|&;#~ \t\n=%^,.:-_aZ9é✓'];
  return Array.from({ length: n }, () => {
    const bytes = randomBytes(1 + ((randomBytes(1)[0] ?? 0) % 40));
    return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  });
}

describe('shellQuote', () => {
  it('round-trips 300 random strings of shell metacharacters through dash exactly', async () => {
    const values = nasty(300);
    const script = values.map((v) => `printf '%s\\0' ${shellQuote(v)}`).join('\n');
    const { stdout } = await run('sh', ['-c', script], { encoding: 'buffer' });
    expect(stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(values);
  });

  it('loads an env file into exactly the given environment, deleting the file first', async () => {
    const values = nasty(50);
    const env = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
    const content = envFileContent('/nonexistent/env', env);
    expect(content.split('\n')[0]).toBe(`rm -f '/nonexistent/env'`);
    const { stdout } = await run(
      'sh',
      ['-c', `${content}\nfor i in $(seq 0 49); do eval "printf '%s\\\\0' \\"\\$V$i\\""; done`],
      {
        encoding: 'buffer',
      },
    );
    expect(stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(values);
  });

  it('refuses a NUL byte', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});
