import ssh2 from 'ssh2';

export interface JobKeyPair {
  /** `ssh-ed25519 AAAA… comment`, what Clore's `ssh_key` order field takes (about 100 chars). */
  publicKey: string;
  /** OpenSSH private key text. A secret: seal it before storing, never log it. */
  privateKey: string;
}

/** A fresh ed25519 key pair for one job (pure JS, no ssh-keygen needed). */
export function generateJobKeyPair(comment: string): JobKeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  return { publicKey: pair.public.trim(), privateKey: pair.private };
}
