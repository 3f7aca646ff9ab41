import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { describe, expect } from 'vitest';
import { apiTest } from './support/api-fixture';
import { auth, submitJob, type TestApi, validSpec } from './support/api-kit';

const test = apiTest();

let api: TestApi;
let base: string;
let id: string;

test.beforeEach(async ({ api: opened, baseUrl }) => {
  api = opened;
  base = baseUrl;
  const res = await submitJob(api, 'alice', validSpec());
  id = res.json().id;
  const outputs = join(api.store.jobDir(id), 'outputs');
  const put = async (path: string, content: string | Buffer) => {
    await mkdir(dirname(join(outputs, path)), { recursive: true });
    await writeFile(join(outputs, path), content);
  };
  await put('workspace/out/model.pt', Buffer.from([0, 1, 2, 255]));
  await put('workspace/out/my file #1.txt', 'spaces and hash');
  await put('workspace/out/résumé €.txt', 'unicode name');
  await writeFile(join(api.dataDir, 'secret.txt'), 'outside the job');
  await symlink(join(api.dataDir, 'secret.txt'), join(outputs, 'workspace/out/escape'));
  await symlink('model.pt', join(outputs, 'workspace/out/inside-link'));
  await api.store.update(id, (job) => {
    job.outputs.push(
      { path: '/workspace/out/model.pt', size: 4 },
      { path: '/workspace/out/my file #1.txt', size: 15 },
    );
  });
});

const get = (path: string, who: 'alice' | 'bob' | 'root' = 'alice') =>
  fetch(`${base}${path}`, { headers: auth(who) });

/** A GET whose path is sent exactly as written (fetch would normalise `..` away before sending). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers: auth('alice') }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('outputs', () => {
  test('lists the collected files with download URLs', async () => {
    const res = await get(`/v1/jobs/${id}/outputs`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      jobId: id,
      outputs: [
        { path: '/workspace/out/model.pt', size: 4, url: `/v1/jobs/${id}/outputs/workspace/out/model.pt` },
        {
          path: '/workspace/out/my file #1.txt',
          size: 15,
          url: `/v1/jobs/${id}/outputs/workspace/out/my%20file%20%231.txt`,
        },
      ],
    });
  });

  test('downloads a file byte for byte, also by its listed URL with escapes', async () => {
    const res = await get(`/v1/jobs/${id}/outputs/workspace/out/model.pt`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="model.pt"; filename*=UTF-8''model.pt`,
    );
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    const spaced = await get(`/v1/jobs/${id}/outputs/workspace/out/my%20file%20%231.txt`);
    expect(await spaced.text()).toBe('spaces and hash');
    const unicode = await get(`/v1/jobs/${id}/outputs/workspace/out/${encodeURIComponent('résumé €.txt')}`);
    expect(unicode.status).toBe(200);
    expect(await unicode.text()).toBe('unicode name');
    expect(unicode.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ _.txt"; filename*=UTF-8''${encodeURIComponent('résumé €.txt')}`,
    );
    const link = await get(`/v1/jobs/${id}/outputs/workspace/out/inside-link`);
    expect(link.status).toBe(200);
  });

  test.each([
    ['dot-dot', '/workspace/../../../secret.txt'],
    ['encoded dot-dot', '/workspace/%2e%2e/%2e%2e/%2e%2e/secret.txt'],
    ['encoded slash dot-dot', '/workspace%2f..%2f..%2f..%2fsecret.txt'],
    ['backslash', '/workspace/..%5c..%5csecret.txt'],
    ['NUL byte', '/workspace/out/model.pt%00.txt'],
    ['symlink out of the directory', '/workspace/out/escape'],
  ])('refuses %s with 400 OUTPUT_PATH_INVALID and never sends the outside file', async (_label, path) => {
    const res = await rawGet(`/v1/jobs/${id}/outputs${path}`);
    expect(res.body).not.toContain('outside the job');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).code).toBe('OUTPUT_PATH_INVALID');
  });

  test('answers 404 for a file that does not exist or a directory', async () => {
    expect((await get(`/v1/jobs/${id}/outputs/workspace/out/nope`)).status).toBe(404);
    expect((await get(`/v1/jobs/${id}/outputs/workspace/out`)).status).toBe(404);
  });
});
