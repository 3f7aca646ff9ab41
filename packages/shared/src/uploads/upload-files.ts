import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { tenantPart } from '../queue/fair-keys';
import { UPLOAD_SHA256 } from './upload-sha';

/** `<dataDir>/uploads`: every tenant's workdir uploads (docs/decisions/0137). */
export function uploadsDir(dataDir: string): string {
  return join(dataDir, 'uploads');
}

/**
 * `<dataDir>/uploads/<tenant part>/<sha256>.tar.gz`: one tenant's upload, content-addressed. The
 * tenant part is the owner name hashed like the owner parts of Redis keys.
 */
export function uploadPath(dataDir: string, owner: string, sha256: string): string {
  if (!UPLOAD_SHA256.test(sha256)) {
    throw new Error(`not a SHA-256: ${JSON.stringify(sha256)}`);
  }
  return join(uploadsDir(dataDir), tenantPart(owner), `${sha256}.tar.gz`);
}

/**
 * Mark a use of the upload (its mtime is its last use; the upload sweep deletes those unused for
 * JOB_RETENTION_SECONDS). False when the tenant has no such upload.
 */
export async function touchUpload(dataDir: string, owner: string, sha256: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(uploadPath(dataDir, owner, sha256), now, now);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return false;
    }
    throw error;
  }
}
