import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commandFromArgv } from './shell-command';

const run = promisify(execFile);

/** What `sh -c <command>` receives as argv when the command's first word is `printf '%s\0'`. */
async function argvOf(command: string): Promise<string[]> {
  const { stdout } = await run('sh', ['-c', `printf '%s\\0' ${command}`]);
  return stdout.split('\0').slice(0, -1);
}

describe('commandFromArgv', () => {
  it('keeps several words as their argv, quoting only the words that need it', async () => {
    const words = ['train.py', '--lr', '0.1 0.2', "it's", '$HOME', '`id`', 'a;b', '', '*', 'é'];
    const command = commandFromArgv(['python', ...words]);
    expect(command).toBe(`python train.py --lr '0.1 0.2' 'it'\\''s' '$HOME' '\`id\`' 'a;b' '' '*' 'é'`);
    expect(await argvOf(commandFromArgv(words))).toEqual(words);
  });

  it('leaves a single word a shell script', () => {
    expect(commandFromArgv(['echo a && echo b'])).toBe('echo a && echo b');
  });
});
