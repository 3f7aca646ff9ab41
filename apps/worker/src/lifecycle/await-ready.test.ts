import type { Attempt, JobRecord } from '@clore-batch/shared';
import { describe, expect, it } from 'vitest';
import { sshError } from '../remote/ssh-error';
import { readinessFailure } from './await-ready';
import { AttemptOver } from './control';

const attempt = { n: 1, serverId: 7, orderId: 70 } as Attempt;
const runWith = (imageHasSshd: boolean) => ({ job: { spec: { imageHasSshd } } as JobRecord });

describe('readinessFailure: an SSH wait that reached the provisioning deadline', () => {
  it('a key refused until the deadline is ssh_error naming the key, never provider_error', () => {
    const error = sshError(
      'auth_refused',
      "ssh h:1 answered but refused the job's key until the deadline: All configured authentication methods failed",
    );
    const over = readinessFailure(runWith(false), attempt, error, 600) as AttemptOver;
    expect(over).toBeInstanceOf(AttemptOver);
    expect(over.reason).toBe('ssh_error');
    expect(over.message).toMatch(/kept refusing the job's SSH key until the provisioning deadline \(600 s\)/);
  });

  it('imageHasSshd and no way in: ssh_error naming the likely cause', () => {
    for (const reason of ['connect_failed', 'auth_refused'] as const) {
      const over = readinessFailure(runWith(true), attempt, sshError(reason, 'x'), 60) as AttemptOver;
      expect(over.reason).toBe('ssh_error');
      expect(over.message).toMatch(
        /the image may not run sshd; remove imageHasSshd to let Clore inject its SSH entrypoint/,
      );
    }
  });

  it('a server that never answered stays provider_error (another server may work); other errors pass through', () => {
    const over = readinessFailure(
      runWith(false),
      attempt,
      sshError('connect_failed', 'ECONNREFUSED'),
      60,
    ) as AttemptOver;
    expect(over.reason).toBe('provider_error');
    const changed = sshError('host_key_changed', 'x');
    expect(readinessFailure(runWith(false), attempt, changed, 60)).toBe(changed);
  });
});
