import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, mkdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { AppError, touchUpload, uploadPath } from '@clore-batch/shared';

export interface StoredUpload {
  sha256: string;
  sizeBytes: number;
  /** False when the tenant had this upload already (nothing was stored twice). */
  created: boolean;
}

export interface StoreUploadOptions {
  dataDir: string;
  owner: string;
  body: NodeJS.ReadableStream;
  maxBytes: number;
  /** The `x-content-sha256` header: the body must have this digest. */
  expectedSha256?: string;
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError(
    'UPLOAD_TOO_LARGE',
    `the upload is over the cap of ${maxBytes} bytes (UPLOAD_MAX_BYTES)`,
    {
      details: { maxBytes },
    },
  );
}

/** Hashes and counts what passes through; fails past `maxBytes`. */
class Digest extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      callback(tooLarge(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

/**
 * Stream a tenant's upload to `<dataDir>/uploads/<tenant part>/<sha256>.tar.gz` (docs/decisions/0137):
 * into a temp file beside it while hashing and counting, then, when the digest is known (and is the
 * expected one), linked to its name; a failed, refused or half upload leaves nothing. An upload the
 * tenant has already is kept (touched as a use) and this copy dropped.
 */
export async function storeUpload(options: StoreUploadOptions): Promise<StoredUpload> {
  const dir = dirname(uploadPath(options.dataDir, options.owner, '0'.repeat(64)));
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.upload-${randomUUID()}.tmp`);
  const digest = new Digest(options.maxBytes);
  try {
    await receive(options.body, digest, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    const sha256 = digest.hash.digest('hex');
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) {
      throw new AppError(
        'UPLOAD_DIGEST_MISMATCH',
        `the upload's SHA-256 is ${sha256}, not the x-content-sha256 header's ${options.expectedSha256}`,
        { details: { expected: options.expectedSha256, actual: sha256 } },
      );
    }
    const created = await placeOnce(temp, uploadPath(options.dataDir, options.owner, sha256));
    if (!created) {
      await touchUpload(options.dataDir, options.owner, sha256);
    }
    return { sha256, sizeBytes: digest.size, created };
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * body → digest → file. The body (the request) is piped, not part of the pipeline: a refusal (too
 * large) must not destroy the request's socket before the 413 is sent, so the rest is discarded
 * instead. A client that goes away mid-upload fails the pipeline (the temp file is then deleted).
 */
async function receive(
  body: NodeJS.ReadableStream,
  digest: Digest,
  file: NodeJS.WritableStream,
): Promise<void> {
  const source = body as Readable;
  source.pipe(digest);
  finished(source).catch((error: unknown) => digest.destroy(error as Error));
  try {
    await pipeline(digest, file);
  } catch (error) {
    source.unpipe(digest);
    source.resume();
    throw error;
  }
}

/** Give `temp` the name `target` unless it exists (link fails then: no upload is replaced mid-read). */
async function placeOnce(temp: string, target: string): Promise<boolean> {
  try {
    await link(temp, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw error;
  }
}

/** A submit's `workdir.upload`: the owner's own upload, touched as a use; 422 UPLOAD_NOT_FOUND otherwise. */
export async function assertUploaded(dataDir: string, owner: string, sha256: string): Promise<void> {
  if (!(await touchUpload(dataDir, owner, sha256))) {
    throw new AppError(
      'UPLOAD_NOT_FOUND',
      `no upload ${sha256}: upload the workdir first (POST /v1/uploads)`,
      {
        details: { issues: [{ path: 'workdir.upload', message: 'names no upload of this tenant' }] },
      },
    );
  }
}
