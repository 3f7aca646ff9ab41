import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_ROWS, exitCodeHelp } from '../src/cli/exit-codes';
import { REPO, runCli } from './support/run-cli';

describe('exit codes', () => {
  it('docs/cli.md has the same table as --help, row for row', async () => {
    const doc = readFileSync(join(REPO, 'docs/cli.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Exit codes'), doc.indexOf('## CI'));
    const rows = section.split('\n').filter((line) => /^\| \d/.test(line));
    expect(rows).toEqual(EXIT_CODE_ROWS.map(([code, text]) => `| ${code} | ${text} |`));
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(exitCodeHelp());
  });

  it('gives each orchestration outcome its own code', () => {
    const codes = EXIT_CODE_ROWS.map(([code]) => code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
