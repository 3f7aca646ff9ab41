import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { createJob, it } from '../../test/store-fixture';
import { deriveSecretKey, openJson, openSecret, sealJson, sealSecret } from '../crypto/secret-box';
import { parseJobSpec, toStoredSpec } from '../spec/job-spec';
import { toPublicJob } from './job-record';

const key = deriveSecretKey('test-secrets-key-that-is-long-enough-0123456789');
const SECRET_VALUE = 'hf_Sup3rS3cretT0kenValue';
const SSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ';

/** Every value under the prefix, whatever its type, as one text. */
async function dumpRedis(redis: Redis, prefix: string): Promise<string> {
  const out: string[] = [];
  for (const name of await redis.keys(`${prefix}:*`)) {
    const type = await redis.type(name);
    if (type === 'string') {
      out.push((await redis.getBuffer(name))?.toString('latin1') ?? '');
    } else if (type === 'hash') {
      out.push(JSON.stringify(await redis.hgetall(name)));
    } else if (type === 'zset') {
      out.push((await redis.zrange(name, '0', '-1')).join(' '));
    } else {
      throw new Error(`unexpected key type ${type} for ${name}`);
    }
    out.push(name);
  }
  return out.join('\n');
}

describe('secrets', () => {
  it('keeps secretEnv and the SSH key sealed: never in get(), never in clear in Redis', async ({
    store,
    prefix,
    redis,
  }) => {
    const parsed = parseJobSpec(
      {
        gpu: { model: 'A100' },
        image: 'ubuntu',
        command: 'train',
        maxPricePerHourUsd: 1,
        budgetUsd: 2,
        secretEnv: { HF_TOKEN: SECRET_VALUE },
      },
      { currency: 'bitcoin' },
    );
    const { job } = await store.create({
      spec: toStoredSpec(parsed),
      secretEnvSealed: sealJson(key, parsed.secretEnv),
      owner: 'alice',
      idempotencyKey: 'k',
      requestHash: 'h',
    });
    await store.setSecret(job.id, 'sshPrivateKey', sealSecret(key, SSH_KEY));
    await store.transition(job.id, 'dispatch');

    const got = await store.get(job.id);
    expect(got.spec.secretEnvNames).toEqual(['HF_TOKEN']);
    for (const view of [got, toPublicJob(got), (await store.list()).jobs]) {
      const text = JSON.stringify(view);
      expect(text).not.toContain(SECRET_VALUE);
      expect(text).not.toContain('BEGIN OPENSSH');
      expect(text).not.toContain('v1.');
    }
    const dump = await dumpRedis(redis, prefix);
    expect(dump).toContain('HF_TOKEN');
    expect(dump).not.toContain(SECRET_VALUE);
    expect(dump).not.toContain('BEGIN OPENSSH');
    expect(dump).not.toContain('S3cret');

    const sealedEnv = await store.getSecret(job.id, 'secretEnv');
    expect(openJson(key, sealedEnv as string)).toEqual({ HF_TOKEN: SECRET_VALUE });
    expect(openSecret(key, (await store.getSecret(job.id, 'sshPrivateKey')) as string)).toBe(SSH_KEY);
    expect(await store.getSecret(job.id, 'nothing')).toBeUndefined();
  });

  it('keeps registryAuth sealed apart, written with the job; a clear one is refused', async ({
    store,
    prefix,
    redis,
  }) => {
    const auth = 'registry-user:registry-S3cret-token';
    const parsed = parseJobSpec(
      {
        gpu: { model: 'A100' },
        image: 'private/img',
        command: 'c',
        maxPricePerHourUsd: 1,
        budgetUsd: 1,
        registryAuth: auth,
      },
      { currency: 'bitcoin' },
    );
    const input = { spec: toStoredSpec(parsed), owner: 'alice' };
    await expect(store.create({ ...input, registryAuthSealed: auth })).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    const { job } = await store.create({ ...input, registryAuthSealed: sealSecret(key, auth) });
    const got = await store.get(job.id);
    expect(got.spec.hasRegistryAuth).toBe(true);
    expect(JSON.stringify(got)).not.toContain('registry-S3cret');
    expect(await dumpRedis(redis, prefix)).not.toContain('registry-S3cret');
    expect(openSecret(key, (await store.getSecret(job.id, 'registryAuth')) as string)).toBe(auth);
  });

  it('refuses to store an unsealed value and forgets secrets with the job', async ({ store }) => {
    const job = await createJob(store);
    await expect(store.setSecret(job.id, 'sshPrivateKey', SSH_KEY)).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    await store.setSecret(job.id, 'sshPrivateKey', sealSecret(key, SSH_KEY));
    await store.delete(job.id);
    expect(await store.getSecret(job.id, 'sshPrivateKey')).toBeUndefined();
  });

  it('drops the worker-only attempt fields from the public job', async ({ store }) => {
    const job = await createJob(store);
    await store.addAttempt(job.id, {
      serverId: 1,
      gpu: 'A100',
      pricePerHourUsd: 1,
      currency: 'bitcoin',
      startedAt: '2026-11-24T12:00:00.000Z',
      spentUsd: 0,
      host: '10.0.0.1',
      sshPort: 22,
      hostKey: 'ssh-ed25519 AAAA',
      remoteDir: '/root/job',
    });
    const withAttempt = await store.update(job.id, (draft) => {
      (draft.attempts[0] as (typeof draft.attempts)[number]).logOffset = 5;
    });
    expect(toPublicJob(withAttempt).attempts[0]).toEqual({
      n: 1,
      serverId: 1,
      gpu: 'A100',
      pricePerHourUsd: 1,
      currency: 'bitcoin',
      startedAt: '2026-11-24T12:00:00.000Z',
      spentUsd: 0,
    });
  });
});
