import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { silentLogger, uploadPath, uploadsDir } from '@clore-batch/shared';
import { describe, expect } from 'vitest';
import { startUploadSweep } from '../src/retention/upload-sweep';
import { apiTest } from './support/api-fixture';
import { auth, submitJob, type TestApi, validSpec, type Who } from './support/api-kit';

// A small cap (and a JSON limit below it: an upload is not held to API_BODY_LIMIT_BYTES).
const test = apiTest({ UPLOAD_MAX_BYTES: '65536', API_BODY_LIMIT_BYTES: '1024' });

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const tarball = (size = 8_192) => gzipSync(randomBytes(size), { level: 0 });

const upload = (api: TestApi, body: Buffer, who: Who = 'alice', headers: Record<string, string> = {}) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/uploads',
    headers: { ...auth(who), 'content-type': 'application/gzip', ...headers },
    payload: body,
  });

const head = (api: TestApi, digest: string, who: Who = 'alice') =>
  api.app.inject({ method: 'HEAD', url: `/v1/uploads/${digest}`, headers: auth(who) });

/** Every file under the tenant's upload directory (temp files too). */
async function tenantFiles(api: TestApi, who: Who): Promise<string[]> {
  return readdir(dirname(uploadPath(api.dataDir, who, '0'.repeat(64)))).catch(() => []);
}

describe('POST /v1/uploads', () => {
  test('stores the body under its SHA-256 for the tenant; HEAD says who has it', async ({ api }) => {
    const body = tarball();
    expect(body.length).toBeGreaterThan(1024);
    const res = await upload(api, body, 'alice', { 'x-content-sha256': sha(body) });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ sha256: sha(body), sizeBytes: body.length });
    expect(await readFile(uploadPath(api.dataDir, 'alice', sha(body)))).toEqual(body);
    expect(await tenantFiles(api, 'alice')).toEqual([`${sha(body)}.tar.gz`]);
    expect((await head(api, sha(body))).statusCode).toBe(200);
    expect((await head(api, sha(body), 'bob')).statusCode).toBe(404);
    expect((await head(api, sha(tarball()))).statusCode).toBe(404);
    expect((await head(api, 'not-a-sha')).statusCode).toBe(400);
  });

  test('an identical upload answers 200 and is not stored twice', async ({ api }) => {
    const body = tarball();
    expect(
      (await upload(api, body, 'alice', { 'content-type': 'application/octet-stream' })).statusCode,
    ).toBe(201);
    const again = await upload(api, body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ sha256: sha(body), sizeBytes: body.length });
    expect(await tenantFiles(api, 'alice')).toEqual([`${sha(body)}.tar.gz`]);
  });

  test('a body whose digest is not x-content-sha256 is a 422 and leaves nothing', async ({ api }) => {
    const body = tarball();
    const res = await upload(api, body, 'alice', { 'x-content-sha256': sha(Buffer.from('other')) });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'UPLOAD_DIGEST_MISMATCH',
      details: { expected: sha(Buffer.from('other')), actual: sha(body) },
    });
    expect(await tenantFiles(api, 'alice')).toEqual([]);
  });

  test('over UPLOAD_MAX_BYTES: 413 UPLOAD_TOO_LARGE, with or without a content-length, nothing left', async ({
    api,
    baseUrl,
  }) => {
    const big = tarball(70_000);
    const declared = await upload(api, big);
    expect(declared.statusCode).toBe(413);
    expect(declared.json()).toMatchObject({ code: 'UPLOAD_TOO_LARGE', details: { maxBytes: 65_536 } });

    // Chunked (no content-length): refused while streaming, once past the cap.
    const chunks = [big.subarray(0, 40_000), big.subarray(40_000)];
    const streamed = await fetch(`${baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: { ...auth('alice'), 'content-type': 'application/gzip' },
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          next === undefined ? controller.close() : controller.enqueue(next);
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { code: string }).code).toBe('UPLOAD_TOO_LARGE');
    expect(await tenantFiles(api, 'alice')).toEqual([]);
  });

  test('a JSON body is refused (an upload is a tar.gz)', async ({ api }) => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/uploads',
      headers: auth('alice'),
      payload: { a: 1 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  test('needs a token', async ({ api }) => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/uploads',
      headers: { 'content-type': 'application/gzip' },
      payload: tarball(),
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('workdir at submit', () => {
  test("the tenant's own upload is accepted; another tenant's sha is a 422 UPLOAD_NOT_FOUND", async ({
    api,
  }) => {
    const body = tarball();
    expect((await upload(api, body)).statusCode).toBe(201);
    const workdir = { upload: sha(body) };
    const mine = await submitJob(api, 'alice', validSpec({ workdir }));
    expect(mine.statusCode).toBe(201);
    expect(mine.json().spec.workdir).toEqual(workdir);

    const theirs = await submitJob(api, 'bob', validSpec({ workdir }));
    expect(theirs.statusCode).toBe(422);
    expect(theirs.json()).toMatchObject({
      code: 'UPLOAD_NOT_FOUND',
      details: { issues: [{ path: 'workdir.upload' }] },
    });
    expect(await api.store.list({ owner: 'bob' }).then((page) => page.jobs)).toEqual([]);
  });

  test('a malformed sha is a 400 VALIDATION_FAILED naming workdir.upload', async ({ api }) => {
    const res = await submitJob(api, 'alice', validSpec({ workdir: { upload: 'ABC' } }));
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json().details)).toContain('workdir');
  });
});

test('OpenAPI describes the upload routes and the spec field', async ({ api }) => {
  const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/uploads', '/v1/uploads/{sha256}']));
  expect(JSON.stringify(doc)).toContain('"workdir"');
});

describe('the upload sweep', () => {
  test('deletes uploads unused for the retention, keeps the others', async ({ api }) => {
    const old = tarball();
    const fresh = tarball();
    await upload(api, old);
    await upload(api, fresh);
    const past = new Date(Date.now() - 3_600_000);
    await utimes(uploadPath(api.dataDir, 'alice', sha(old)), past, past);
    const sweep = startUploadSweep({
      dataDir: api.dataDir,
      logger: silentLogger(),
      retentionMs: 600_000,
      intervalMs: 3_600_000,
    });
    try {
      const deleted = await sweep.runOnce();
      expect(deleted).toHaveLength(1);
      expect(deleted[0]).toContain(sha(old));
      expect(await tenantFiles(api, 'alice')).toEqual([`${sha(fresh)}.tar.gz`]);
      // A submit is a use: it touches the upload.
      await utimes(uploadPath(api.dataDir, 'alice', sha(fresh)), past, past);
      expect((await submitJob(api, 'alice', validSpec({ workdir: { upload: sha(fresh) } }))).statusCode).toBe(
        201,
      );
      expect(await sweep.runOnce()).toEqual([]);
      expect(await readdir(uploadsDir(api.dataDir))).toHaveLength(1);
    } finally {
      await sweep.stop();
    }
  });
});
