import { createHash } from 'node:crypto';
import { AppError } from '@clore-batch/shared';

/** OpenSSH's fingerprint of a host key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function hostKeyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * A pinned host key as a fingerprint. Accepts a fingerprint (`SHA256:…`, as `connect` returns and
 * `ssh-keygen -lf` prints) or a public key line (`ssh-ed25519 AAAA… [comment]`).
 */
export function toFingerprint(pinned: string): string {
  const text = pinned.trim();
  if (text.startsWith('SHA256:')) {
    return text;
  }
  const blob = text.split(/\s+/)[1];
  if (blob === undefined || !/^[A-Za-z0-9+/]+=*$/.test(blob)) {
    throw new AppError('VALIDATION_FAILED', 'a pinned host key is `SHA256:…` or `<type> <base64> [comment]`');
  }
  return hostKeyFingerprint(Buffer.from(blob, 'base64'));
}
