import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ApiClient } from '../api/api-client';
import { CliError } from '../cli/cli-error';
import { EXIT } from '../cli/exit-codes';
import { formatBytes } from '../format/units';
import { type CommandContext, type OutputFlags, printJson, say } from './context';

export interface SavedOutput {
  path: string;
  size: number | undefined;
  savedTo: string;
}

/**
 * Where a collected file goes under `dir`: its container path without the leading '/'
 * (`/root/out/a.txt` → `<dir>/root/out/a.txt`). A path that would leave `dir` is refused.
 */
export function localPathFor(dir: string, remotePath: string): string {
  const root = resolve(dir);
  const target = resolve(root, remotePath.replace(/^\/+/, ''));
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new CliError(
      EXIT.outputsFailed,
      `refusing output path ${JSON.stringify(remotePath)}: it leaves ${dir}`,
    );
  }
  return target;
}

/** Download every collected file of a job into `dir`; each is written to a temp name, then renamed. */
export async function downloadOutputs(client: ApiClient, jobId: string, dir: string): Promise<SavedOutput[]> {
  const entries = await client.listOutputs(jobId);
  const saved: SavedOutput[] = [];
  for (const entry of entries) {
    const target = localPathFor(dir, entry.path);
    const response = await client.downloadOutput(jobId, entry.path, entry.url);
    if (!response.body) {
      throw new CliError(EXIT.outputsFailed, `download ${entry.path}: empty response`);
    }
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.clore-batch-partial`;
    try {
      await pipeline(
        Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
        createWriteStream(temp),
      );
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw new CliError(EXIT.outputsFailed, `download ${entry.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    saved.push({ path: entry.path, size: entry.size, savedTo: target });
  }
  return saved;
}

/** `outputs ID [--dir D]`: list the collected files, or download them into D. */
export async function outputsCommand(
  ctx: CommandContext,
  jobId: string,
  flags: OutputFlags & { dir?: string },
): Promise<number> {
  const client = ctx.client();
  if (flags.dir === undefined) {
    const entries = await client.listOutputs(jobId);
    if (flags.json) {
      printJson(ctx.io, { jobId, outputs: entries });
    } else {
      for (const entry of entries) {
        ctx.io.stdout.write(`${entry.path}\t${entry.size === undefined ? '?' : formatBytes(entry.size)}\n`);
      }
      if (entries.length === 0) {
        say(ctx.io, flags, `job ${jobId} has no collected outputs`);
      }
    }
    return EXIT.ok;
  }
  const saved = await downloadOutputs(client, jobId, flags.dir);
  if (flags.json) {
    printJson(ctx.io, { jobId, dir: resolve(flags.dir), files: saved });
  } else {
    for (const file of saved) {
      ctx.io.stdout.write(`${file.savedTo}\n`);
    }
    say(ctx.io, flags, `saved ${saved.length} file(s) of job ${jobId} under ${flags.dir}`);
  }
  return EXIT.ok;
}
