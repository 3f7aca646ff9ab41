import { AppError, shellQuote } from '@clore-batch/shared';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The env file the wrapper sources: its first line deletes the file itself (the shell keeps reading
 * the open, now unlinked file), so secret values leave the disk before any of them is exported and
 * before a user-provided PATH could change which `rm` runs. Values are checked, never echoed in errors.
 */
export function envFileContent(envPath: string, env: Readonly<Record<string, string>>): string {
  const lines = [`rm -f ${shellQuote(envPath)}`];
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `env name ${JSON.stringify(name)} is not [A-Za-z_][A-Za-z0-9_]*`,
      );
    }
    if (value.includes('\0')) {
      throw new AppError('VALIDATION_FAILED', `env ${name} holds a NUL byte, which no environment can carry`);
    }
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  return `${lines.join('\n')}\n`;
}
