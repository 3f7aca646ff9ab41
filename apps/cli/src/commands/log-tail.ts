import type { ApiClient } from '../api/api-client';

/**
 * The suffix of `buf` holding its last `n` lines (a final line without '\n' counts), or undefined
 * when `buf` may start inside a line (`complete` false) and holds fewer than `n` line breaks.
 */
export function lastLines(buf: Buffer, n: number, complete: boolean): Buffer | undefined {
  if (n <= 0) {
    return Buffer.alloc(0);
  }
  let pos = buf.length > 0 && buf[buf.length - 1] === 0x0a ? buf.length - 1 : buf.length;
  for (let count = 1; ; count += 1) {
    const nl = pos === 0 ? -1 : buf.lastIndexOf(0x0a, pos - 1);
    if (nl === -1) {
      return complete ? buf : undefined;
    }
    if (count === n) {
      return buf.subarray(nl + 1);
    }
    pos = nl;
  }
}

/**
 * The last `n` lines of a job's log, read from the end: the size first (`X-Log-Size` of an empty
 * read), then windows of 64 KiB, 256 KiB, ... back from the end until they hold `n` lines or reach
 * the start. A 1 GiB log with short lines costs two small requests, not a download.
 */
export async function tailLog(client: ApiClient, jobId: string, n: number): Promise<Buffer> {
  const probe = await client.logText(jobId, Number.MAX_SAFE_INTEGER);
  await probe.arrayBuffer();
  const size = Number(probe.headers.get('x-log-size') ?? 0);
  for (let window = 64 * 1024; ; window *= 4) {
    const from = Math.max(0, size - window);
    const response = await client.logText(jobId, from);
    const bytes = Buffer.from(await response.arrayBuffer()).subarray(0, size - from);
    const tail = lastLines(bytes, n, from === 0);
    if (tail !== undefined) {
      return tail;
    }
  }
}
