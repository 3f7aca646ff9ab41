import { connect, createServer, type Server, type Socket } from 'node:net';
import { waitFor } from '@clore-batch/testing';
import { afterAll, describe, expect } from 'vitest';
import { ApiClient } from '../src/api/api-client';
import type { Sandbox } from '../src/sandbox/start-sandbox';
import { GPU, runCli } from './support/run-cli';
import { sandboxTest } from './support/sandbox-fixture';

/**
 * `logs --follow` and `submit --wait` through a proxy that cuts every connection to the real API
 * after 300 ms: the CLI must resume each time with Last-Event-ID and print the output exactly once.
 */
const test = sandboxTest();

let sandbox: Sandbox;
let proxy: Server;
let proxyUrl: string;
let cuts = 0;
const sockets = new Set<Socket>();

test.beforeAll(async ({ sandbox: started }) => {
  sandbox = started;
  const apiPort = Number(new URL(sandbox.url).port);
  proxy = createServer((client) => {
    const upstream = connect(apiPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const cut = setTimeout(() => {
      cuts += 1;
      client.destroy();
      upstream.destroy();
    }, 300);
    const done = () => {
      clearTimeout(cut);
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', done).on('error', () => {});
    upstream.on('close', done).on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  proxyUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 180_000);

afterAll(async () => {
  for (const socket of sockets) {
    socket.destroy();
  }
  await new Promise((resolve) => proxy?.close(resolve));
}, 60_000);

describe('a connection that keeps dropping', () => {
  test('logs --follow and submit --wait resume with Last-Event-ID: the whole output, once', async () => {
    const env = { CLORE_BATCH_URL: proxyUrl, CLORE_BATCH_TOKEN: sandbox.token };
    const command =
      'for i in $(seq 1 300); do echo "line $i ünïcode"; if [ $((i % 30)) = 0 ]; then sleep 0.3; fi; done';
    const expected = Array.from({ length: 300 }, (_, i) => `line ${i + 1} ünïcode\n`).join('');
    const client = new ApiClient({ baseUrl: sandbox.url, token: sandbox.token });

    const submitted = await runCli(['submit', ...GPU, '--', command], {
      CLORE_BATCH_URL: sandbox.url,
      CLORE_BATCH_TOKEN: sandbox.token,
    });
    const id = submitted.stdout.trim();
    await waitFor(async () => (await client.getJob(id)).state !== 'queued', { timeoutMs: 30_000 });
    const cutsBefore = cuts;
    const [followed, waited] = await Promise.all([
      runCli(['logs', id, '--follow'], env),
      runCli(['submit', ...GPU, '--wait', '--', command], env),
    ]);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe(expected);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toBe(expected);
    expect(followed.stderr + waited.stderr).toContain('connection to the API lost; resuming the stream');
    expect(cuts - cutsBefore).toBeGreaterThan(4);
  }, 120_000);
});
