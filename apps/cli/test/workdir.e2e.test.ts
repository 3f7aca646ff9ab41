import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import type { Sandbox } from '../src/sandbox/start-sandbox';
import { GPU, runCli } from './support/run-cli';
import { sandboxTest } from './support/sandbox-fixture';

/** `submit --workdir` against a sandbox: packed, uploaded once, unpacked on the (sshd) server, run inside. */
let sandbox: Sandbox;
let env: Record<string, string>;
let scratch: string;

const test = sandboxTest({ PROVISION_TIMEOUT_SECONDS: '10' });

test.beforeAll(async ({ sandbox: started }) => {
  sandbox = started;
  env = { CLORE_BATCH_URL: sandbox.url, CLORE_BATCH_TOKEN: sandbox.token };
  scratch = await mkdtemp(join(tmpdir(), 'cli-workdir-'));
}, 180_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
}, 60_000);

describe('submit --workdir', () => {
  test('runs the command in the uploaded tree (ignored files left out); an unchanged tree is not uploaded again', async () => {
    const dir = join(scratch, 'project');
    await mkdir(join(dir, 'src'), { recursive: true });
    await mkdir(join(dir, '.git'), { recursive: true });
    await writeFile(join(dir, 'src', 'main.sh'), 'echo "hello from main"\n');
    await writeFile(join(dir, '.gitignore'), 'out/\n');
    await writeFile(join(dir, '.clore-batchignore'), '*.secret\n');
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'out', 'big.bin'), 'ignored');
    await writeFile(join(dir, 'token.secret'), 'ignored');
    await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main');
    const args = [
      'submit',
      ...GPU,
      '--workdir',
      dir,
      '--wait',
      '--',
      'sh src/main.sh && find . | LC_ALL=C sort',
    ];

    const first = await runCli(args, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      ['hello from main', '.', './.clore-batchignore', './.gitignore', './src', './src/main.sh', ''].join(
        '\n',
      ),
    );
    expect(first.stderr).toMatch(/uploading workdir .*project \(4 entries/);

    const second = await runCli(args, env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toMatch(/workdir .*project .* is uploaded already/);
    expect(second.stderr).not.toMatch(/uploading/);
  }, 120_000);

  test('a file that is not a directory is a usage error (exit 2) before anything is sent', async () => {
    const file = join(scratch, 'not-a-dir');
    await writeFile(file, 'x');
    const result = await runCli(['submit', ...GPU, '--workdir', file, '--', 'true'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--workdir .*not a directory/);
  }, 60_000);
});
