import { constants, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FastifyReply } from 'fastify';
import { resolveOutputFile } from './safe-output-path';

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 5987). */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/**
 * Send one collected output file, the REST API's and the dashboard's alike: `requested` (the
 * URL-decoded path after `/outputs/`) is checked to stay inside `outputsDir` (`store.outputsDir(id)`),
 * opened without following a symbolic link and streamed from that descriptor (the checked file is
 * the one sent), as an `attachment` download the browser must not sniff into something it renders.
 */
export async function sendOutputFile(
  reply: FastifyReply,
  outputsDir: string,
  requested: string,
): Promise<FastifyReply> {
  const file = await resolveOutputFile(outputsDir, requested);
  const handle = await open(file.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  const stream = createReadStream('', {
    fd: handle,
    autoClose: true,
    start: 0,
    end: Math.max(0, file.size - 1),
  });
  return reply
    .type('application/octet-stream')
    .header('content-length', String(file.size))
    .header('content-disposition', contentDisposition(posix.basename(requested)))
    .header('x-content-type-options', 'nosniff')
    .send(stream);
}
