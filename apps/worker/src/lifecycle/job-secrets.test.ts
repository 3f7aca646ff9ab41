import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { isUsableKeyPair, usableKeyPair } from './job-secrets';

/** A pair ssh2's generator really produced: its public key lost a leading zero byte (31 bytes). */
const BROKEN_PRIVATE = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMgAAAAtz
c2gtZWQyNTUxOQAAAB94bBhDJOx8NbVdctQFTnVT3raN7CqcPGMYvtKL3SPfAAAA
oPTZI7L02SOyAAAAC3NzaC1lZDI1NTE5AAAAH3hsGEMk7Hw1tV1y1AVOdVPeto3s
Kpw8Yxi+0ovdI98AAAA/xZGbTKp8BiS8z706FR/XeLWkytsFxT/t5PU2O0F7HPl4
bBhDJOx8NbVdctQFTnVT3raN7CqcPGMYvtKL3SPfAAAAGGNsb3JlLWJhdGNoIGpv
Yl8wMUFCQzIwMQECAwQFBgc=
-----END OPENSSH PRIVATE KEY-----
`;
const BROKEN_PUBLIC = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH3hsGEMk7Hw1tV1y1AVOdVPeto3sKpw8Yxi+0ovdI98= x';

describe('job key pairs', () => {
  it('refuses a pair whose halves do not parse back', () => {
    expect(utils.parseKey(BROKEN_PRIVATE)).toBeInstanceOf(Error);
    expect(isUsableKeyPair({ privateKey: BROKEN_PRIVATE, publicKey: BROKEN_PUBLIC })).toBe(false);
  });

  it('hands out only usable pairs (ssh2 makes a broken one about once in 200)', () => {
    for (let i = 0; i < 600; i += 1) {
      expect(isUsableKeyPair(usableKeyPair('job_TEST'))).toBe(true);
    }
  });
});
