import type { OpenMode, SFTPWrapper, Stats } from 'ssh2';

/** SFTP status NO_SUCH_FILE. */
const NO_SUCH_FILE = 2;

export function isNoSuchFile(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === NO_SUCH_FILE;
}

/** An SFTP request gets no answer for this long: the server is stuck; give up on it. */
const REQUEST_TIMEOUT_MS = 60_000;

interface ChannelState {
  closed: boolean;
  pending: Set<(error: Error) => void>;
}

const channels = new WeakMap<SFTPWrapper, ChannelState>();

function stateOf(sftp: SFTPWrapper): ChannelState {
  let state = channels.get(sftp);
  if (state === undefined) {
    const created: ChannelState = { closed: false, pending: new Set() };
    sftp.once('close', () => {
      created.closed = true;
      for (const fail of created.pending) {
        fail(new Error('the SFTP channel closed'));
      }
      created.pending.clear();
    });
    channels.set(sftp, created);
    state = created;
  }
  return state;
}

/**
 * One SFTP request as a promise that always settles. ssh2 silently drops a request made after its
 * channel closed and never calls it back, so: refuse when closed, fail pending requests on close,
 * and time out a request the server never answers.
 */
function call<T>(
  sftp: SFTPWrapper,
  run: (cb: (error: Error | null | undefined, value: T) => void) => void,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<T> {
  const state = stateOf(sftp);
  return new Promise((resolve, reject) => {
    if (state.closed) {
      reject(new Error('the SFTP channel is closed'));
      return;
    }
    const fail = (error: Error) => {
      clearTimeout(timer);
      state.pending.delete(fail);
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`an SFTP request got no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    state.pending.add(fail);
    run((error, value) => {
      clearTimeout(timer);
      state.pending.delete(fail);
      if (error) {
        reject(error);
      } else {
        resolve(value);
      }
    });
  });
}

/** Register `sftp` for close tracking as soon as it is opened (before its first request). */
export function watchSftp(sftp: SFTPWrapper): void {
  stateOf(sftp);
}

export const sftpOpen = (sftp: SFTPWrapper, path: string, flags: OpenMode, mode?: number): Promise<Buffer> =>
  call(sftp, (cb) => sftp.open(path, flags, mode === undefined ? {} : { mode }, cb));

export const sftpClose = (sftp: SFTPWrapper, handle: Buffer): Promise<void> =>
  call(sftp, (cb) => sftp.close(handle, (error) => cb(error, undefined)));

export const sftpFstat = (sftp: SFTPWrapper, handle: Buffer): Promise<Stats> =>
  call(sftp, (cb) => sftp.fstat(handle, cb));

export const sftpStat = (sftp: SFTPWrapper, path: string): Promise<Stats> =>
  call(sftp, (cb) => sftp.stat(path, cb));

export const sftpReaddir = (sftp: SFTPWrapper, path: string) =>
  call<{ filename: string; attrs: Stats }[]>(sftp, (cb) => sftp.readdir(path, cb as never));

/** Open `path` for reading, or undefined when it does not exist. */
export async function sftpOpenIfExists(sftp: SFTPWrapper, path: string): Promise<Buffer | undefined> {
  try {
    return await sftpOpen(sftp, path, 'r');
  } catch (error) {
    if (isNoSuchFile(error)) {
      return undefined;
    }
    throw error;
  }
}

/** A small file's text, or undefined when it does not exist. */
export async function sftpReadSmall(
  sftp: SFTPWrapper,
  path: string,
  limit = 4096,
): Promise<string | undefined> {
  const handle = await sftpOpenIfExists(sftp, path);
  if (handle === undefined) {
    return undefined;
  }
  try {
    return (await sftpReadExact(sftp, handle, 0, limit)).toString('utf8');
  } finally {
    await sftpClose(sftp, handle);
  }
}

export async function sftpExists(sftp: SFTPWrapper, path: string): Promise<boolean> {
  try {
    await sftpStat(sftp, path);
    return true;
  } catch (error) {
    if (isNoSuchFile(error)) {
      return false;
    }
    throw error;
  }
}

/** Create or replace a file with `content` (mode 600). */
export async function sftpWriteFile(sftp: SFTPWrapper, path: string, content: string): Promise<void> {
  const handle = await sftpOpen(sftp, path, 'w', 0o600);
  try {
    const data = Buffer.from(content, 'utf8');
    await call<void>(sftp, (cb) =>
      sftp.write(handle, data, 0, data.length, 0, (error) => cb(error, undefined)),
    );
  } finally {
    await sftpClose(sftp, handle);
  }
}

/**
 * Copy a local file to `remotePath` (mode 600) with several writes in flight (ssh2's fastPut). No
 * per-request timeout (a big file takes long): a dead connection closes the channel (keepalive),
 * which fails the copy.
 */
export const sftpPutFile = (sftp: SFTPWrapper, localPath: string, remotePath: string): Promise<void> =>
  call<void>(
    sftp,
    (cb) =>
      sftp.fastPut(localPath, remotePath, { concurrency: 32, chunkSize: 64 * 1024, mode: 0o600 }, (error) =>
        cb(error, undefined),
      ),
    2 ** 31 - 1,
  );

/** Read `length` bytes at `position`, fewer only at end of file. */
export async function sftpReadExact(
  sftp: SFTPWrapper,
  handle: Buffer,
  position: number,
  length: number,
): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = await call<number>(sftp, (cb) =>
      sftp.read(handle, buffer, got, length - got, position + got, cb),
    );
    if (n === 0) {
      break;
    }
    got += n;
  }
  return got === length ? buffer : buffer.subarray(0, got);
}

export interface ReadBlocksOptions {
  /** Bytes per request (default 256 KiB; OpenSSH answers up to 256 KiB per read). */
  blockSize?: number;
  /** Requests kept in flight while the consumer works (default 16). Memory ≤ blockSize × inFlight. */
  inFlight?: number;
}

/**
 * Read [from, to) in order with several requests in flight, awaiting `onBlock` for each block before
 * its bytes count as delivered. Stops early at end of file. Returns the position after the last
 * delivered byte.
 */
export async function sftpReadBlocks(
  sftp: SFTPWrapper,
  handle: Buffer,
  from: number,
  to: number,
  onBlock: (position: number, data: Buffer) => Promise<void> | void,
  options: ReadBlocksOptions = {},
): Promise<number> {
  const blockSize = options.blockSize ?? 256 * 1024;
  const inFlight = options.inFlight ?? 16;
  const pending: { position: number; length: number; data: Promise<Buffer> }[] = [];
  let next = from;
  const fill = () => {
    while (pending.length < inFlight && next < to) {
      const length = Math.min(blockSize, to - next);
      const data = sftpReadExact(sftp, handle, next, length);
      data.catch(() => {}); // awaited below in order; an early exit must not leave it unhandled
      pending.push({ position: next, length, data });
      next += length;
    }
  };
  let position = from;
  fill();
  for (let block = pending.shift(); block !== undefined; block = pending.shift()) {
    const data = await block.data;
    fill();
    if (data.length > 0) {
      await onBlock(position, data);
      position += data.length;
    }
    if (data.length < block.length) {
      break; // end of file: later blocks are past it
    }
  }
  return position;
}
