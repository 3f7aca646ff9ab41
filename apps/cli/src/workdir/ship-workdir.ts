import { stat } from 'node:fs/promises';
import type { ApiClient } from '../api/api-client';
import { CliError } from '../cli/cli-error';
import { EXIT } from '../cli/exit-codes';
import type { Io } from '../cli/io';
import { type OutputFlags, say } from '../commands/context';
import { formatBytes } from '../format/units';
import { packWorkdir } from './pack-workdir';

/**
 * `submit --workdir DIR`: pack DIR (pack-workdir.ts), ask the API whether this tenant has the
 * tarball (HEAD), upload it only if not (progress on stderr when it is a terminal), and answer
 * its SHA-256 for the spec's `workdir.upload`.
 */
export async function shipWorkdir(
  client: ApiClient,
  io: Io,
  flags: OutputFlags,
  dir: string,
): Promise<string> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new CliError(EXIT.usage, `--workdir ${dir}: not a directory`);
  }
  const packed = await packWorkdir(dir);
  try {
    const size = formatBytes(packed.sizeBytes);
    if (await client.hasUpload(packed.sha256)) {
      say(io, flags, `workdir ${dir} (${packed.entries.length} entries, ${size}) is uploaded already`);
      return packed.sha256;
    }
    say(io, flags, `uploading workdir ${dir} (${packed.entries.length} entries, ${size})`);
    const live = io.stderrIsTty && !flags.quiet;
    let shown = -1;
    await client.upload(packed.path, packed.sha256, packed.sizeBytes, (sent) => {
      const percent = Math.floor((sent / Math.max(1, packed.sizeBytes)) * 100);
      if (live && percent !== shown) {
        shown = percent;
        io.stderr.write(`\rclore-batch: uploaded ${formatBytes(sent)} of ${size} (${percent}%)`);
      }
    });
    if (live) {
      io.stderr.write('\n');
    }
    return packed.sha256;
  } finally {
    await packed.dispose();
  }
}
