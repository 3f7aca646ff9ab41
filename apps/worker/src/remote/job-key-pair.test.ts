import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateJobKeyPair, isUsableKeyPair, type JobKeyPair } from './job-key-pair';

/** A pair ssh2's generator really produced: its public key lost a leading zero byte (31 bytes). */
const BROKEN: JobKeyPair = {
  privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMgAAAAtz
c2gtZWQyNTUxOQAAAB94bBhDJOx8NbVdctQFTnVT3raN7CqcPGMYvtKL3SPfAAAA
oPTZI7L02SOyAAAAC3NzaC1lZDI1NTE5AAAAH3hsGEMk7Hw1tV1y1AVOdVPeto3s
Kpw8Yxi+0ovdI98AAAA/xZGbTKp8BiS8z706FR/XeLWkytsFxT/t5PU2O0F7HPl4
bBhDJOx8NbVdctQFTnVT3raN7CqcPGMYvtKL3SPfAAAAGGNsb3JlLWJhdGNoIGpv
Yl8wMUFCQzIwMQECAwQFBgc=
-----END OPENSSH PRIVATE KEY-----
`,
  publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH3hsGEMk7Hw1tV1y1AVOdVPeto3sKpw8Yxi+0ovdI98= x',
};

describe('generateJobKeyPair', () => {
  it('refuses a pair whose halves do not parse back', () => {
    expect(ssh2.utils.parseKey(BROKEN.privateKey)).toBeInstanceOf(Error);
    expect(isUsableKeyPair(BROKEN)).toBe(false);
  });

  it('skips broken pairs from the generator and gives up after a bounded number of tries', () => {
    let calls = 0;
    const good = generateJobKeyPair('job_GOOD');
    const pair = generateJobKeyPair('job_X', () => {
      calls += 1;
      return calls < 3 ? BROKEN : good;
    });
    expect(pair).toBe(good);
    expect(calls).toBe(3);
    calls = 0;
    expect(() =>
      generateJobKeyPair('job_Y', () => {
        calls += 1;
        return BROKEN;
      }),
    ).toThrow(/usable SSH key pair/);
    expect(calls).toBe(20);
  });

  it('hands out only usable pairs: 1000 of 1000 parse back (ssh2 alone breaks about 1 in 200)', () => {
    for (let i = 0; i < 1000; i += 1) {
      const pair = generateJobKeyPair(`clore-batch job_${i}`);
      expect(ssh2.utils.parseKey(pair.privateKey)).not.toBeInstanceOf(Error);
      expect(ssh2.utils.parseKey(pair.publicKey)).not.toBeInstanceOf(Error);
      expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ clore-batch job_\d+$/);
    }
  });
});
