import { randomUUID } from 'node:crypto';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@clore-batch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RemoteKit, startRemoteKit } from '../../test/support/remote-kit';
import { readStatus } from './read-status';
import { launchScript, startCommand } from './start-command';
import { streamLog } from './stream-log';

let kit: RemoteKit;
beforeAll(async () => {
  kit = await startRemoteKit();
});
afterAll(async () => {
  await kit.stop();
});

async function runToEnd(command: string, env: Record<string, string> = {}, extra: { workDir?: string } = {}) {
  const session = await kit.connect();
  try {
    const jobDir = kit.jobDir();
    await startCommand(session, { jobDir, command, env, timeoutSeconds: 60, ...extra });
    const chunks: Buffer[] = [];
    const result = await streamLog(session, {
      jobDir,
      fromOffset: 0,
      pollIntervalMs: 20,
      onChunk: (_offset, data) => {
        chunks.push(data);
      },
    });
    return { ...result, jobDir, output: Buffer.concat(chunks).toString('utf8') };
  } finally {
    await session.close();
  }
}

describe('startCommand', () => {
  it.each([0, 3, 42])('returns exit code %i', async (code) => {
    const result = await runToEnd(`echo before; exit ${code}`);
    expect(result).toMatchObject({ exitCode: code, timedOut: false, stopped: false, output: 'before\n' });
  });

  it('delivers env values with quotes, spaces, $, backslashes and newlines intact, and leaves no env file', async () => {
    const env = {
      PLAIN: 'hello',
      QUOTES: `it's "quoted" ''`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the point
      DOLLAR: '$HOME $(id) `id` ${X}',
      SPACES: '  a  b  ',
      MULTILINE: 'line1\nline2\\n',
      UNICODE: 'héllo ✓',
    };
    const names = Object.keys(env);
    const result = await runToEnd(
      `for n in ${names.join(' ')}; do eval "printf '%s=[%s]\\n' \\"\\$n\\" \\"\\$$n\\""; done`,
      env,
    );
    for (const [name, value] of Object.entries(env)) {
      expect(result.output).toContain(`${name}=[${value}]\n`);
    }
    await expect(stat(join(result.jobDir, 'env'))).rejects.toThrow(/ENOENT/);
    const wrapper = await readFile(join(result.jobDir, 'wrapper.sh'), 'utf8');
    const run = await readFile(join(result.jobDir, 'run.sh'), 'utf8');
    expect(wrapper + run).not.toContain('quoted');
  });

  it('starts the command once when called twice, and says which call launched it', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      const options = { jobDir, command: `echo run >> ${jobDir}/count; sleep 0.3`, timeoutSeconds: 30 };
      const [first, second] = await Promise.all([
        startCommand(session, options),
        startCommand(session, options),
      ]);
      const third = await startCommand(session, options);
      expect([first.launched, second.launched].sort()).toEqual([false, true]);
      expect(third.launched).toBe(false);
      await waitFor(async () => (await readStatus(session, jobDir)).exitCode === 0, {
        message: 'command ended',
      });
      expect(await readFile(join(jobDir, 'count'), 'utf8')).toBe('run\n');
    } finally {
      await session.close();
    }
  });

  it('keeps the command running when the SSH connection drops; env file gone and secrets on no command line meanwhile', async () => {
    const jobDir = kit.jobDir();
    const secret = `s3cr3t-${randomUUID()}`;
    const session = await kit.connect();
    await startCommand(session, {
      jobDir,
      command: `while [ ! -e ${jobDir}/go ]; do sleep 0.05; done; echo "survived $TOKEN"`,
      env: { TOKEN: secret },
      timeoutSeconds: 30,
    });
    await waitFor(async () => (await readStatus(session, jobDir)).running, { message: 'wrapper running' });
    session.destroy();
    await session.whenClosed();
    const again = await kit.connect();
    try {
      const status = await readStatus(again, jobDir);
      expect(status).toMatchObject({ started: true, running: true, lost: false });
      await expect(stat(join(jobDir, 'env'))).rejects.toThrow(/ENOENT/);
      expect(await commandLinesContaining(secret)).toEqual([]);
      await again.exec(`touch ${jobDir}/go`);
      const result = await streamLog(again, { jobDir, fromOffset: 0, pollIntervalMs: 20, onChunk: () => {} });
      expect(result.exitCode).toBe(0);
      expect(await readFile(join(jobDir, 'output.log'), 'utf8')).toBe(`survived ${secret}\n`);
    } finally {
      await again.close();
    }
  });

  it('runs in workDir when given, else in the image WORKDIR (PID 1 cwd) or $HOME', async () => {
    const workDir = join(kit.root, 'work dir');
    expect((await runToEnd('pwd', {}, { workDir })).output).toBe(`${workDir}\n`);
    const pid1Cwd = await readlink('/proc/1/cwd').catch(() => undefined);
    expect((await runToEnd('pwd')).output).toBe(`${pid1Cwd ?? kit.root}\n`);
  });

  it('refuses env names a shell cannot hold and values with NUL, naming the variable but not the value', async () => {
    const session = await kit.connect();
    try {
      const options = { jobDir: kit.jobDir(), command: 'true', timeoutSeconds: 5 };
      await expect(startCommand(session, { ...options, env: { 'BAD-NAME': 'x' } })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      const error = await startCommand(session, { ...options, env: { OK: 'secret\0value' } }).then(
        () => new Error('accepted'),
        (e: Error) => e,
      );
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(error.message).toContain('OK');
      expect(error.message).not.toContain('secret');
    } finally {
      await session.close();
    }
  });
});

/** Processes whose command line holds `text` (the "server" is this host). */
async function commandLinesContaining(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (/^\d+$/.test(entry)) {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(text) && Number(entry) !== process.pid) {
        found.push(`${entry}: ${cmdline.replace(/\0/g, ' ')}`);
      }
    }
  }
  return found;
}

describe('launchScript', () => {
  it('refuses an env that did not arrive whole, and releases the start claim', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      await session.execScript(`mkdir -p ${jobDir} && touch ${jobDir}/wrapper.sh.n1 ${jobDir}/run.sh.n1`);
      const cut = await session.execScript(launchScript(jobDir, 'n1'), { stdin: "rm -f x\nexport A='half" });
      expect(cut.code).toBe(92);
      expect(await readdir(jobDir)).toEqual([]);
      // The claim is free again: a real start goes through.
      expect(await startCommand(session, { jobDir, command: 'exit 7', timeoutSeconds: 5 })).toEqual({
        launched: true,
      });
      await waitFor(async () => (await readStatus(session, jobDir)).exitCode === 7, { message: 'exit 7' });
    } finally {
      await session.close();
    }
  });
});
