import { AppError } from '@clore-batch/shared';
import ssh2 from 'ssh2';

export interface JobKeyPair {
  /** `ssh-ed25519 AAAA… comment`, what Clore's `ssh_key` order field takes (about 100 chars). */
  publicKey: string;
  /** OpenSSH private key text. A secret: seal it before storing, never log it. */
  privateKey: string;
}

/** At most this many pairs are made per call; ssh2 makes a broken one about once in 200. */
const MAX_TRIES = 20;

function ed25519Pair(comment: string): JobKeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  return { publicKey: pair.public.trim(), privateKey: pair.private };
}

/**
 * ssh2's ed25519 generator drops a leading zero byte of the public key about once in 200 pairs
 * (a 31-byte key: "Malformed OpenSSH private key" on every later connect). A pair is usable when
 * both halves parse back.
 */
export function isUsableKeyPair(pair: JobKeyPair): boolean {
  return (
    !(ssh2.utils.parseKey(pair.privateKey) instanceof Error) &&
    !(ssh2.utils.parseKey(pair.publicKey) instanceof Error)
  );
}

/**
 * A fresh ed25519 key pair for one job (pure JS, no ssh-keygen needed) whose halves both parse
 * back; `generate` is for tests. Throws INTERNAL after `MAX_TRIES` broken pairs in a row.
 */
export function generateJobKeyPair(
  comment: string,
  generate: (comment: string) => JobKeyPair = ed25519Pair,
): JobKeyPair {
  for (let tries = 1; tries <= MAX_TRIES; tries += 1) {
    const pair = generate(comment);
    if (isUsableKeyPair(pair)) {
      return pair;
    }
  }
  throw new AppError('INTERNAL', `could not generate a usable SSH key pair in ${MAX_TRIES} tries`);
}
