import { request } from 'node:http';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  type TestApi as DashboardFixture,
  type RedisServer as DashboardServer,
  openApi,
  startRedisServer as startDashboardRedis,
} from './support/api-kit';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * Test-only: one real HTTP request from a chosen loopback address (`from`: 127.0.0.2, 127.0.0.3, ...;
 * Linux routes all of 127/8 to lo), so a test can be several clients at once.
 */
export function httpFrom(
  from: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, localAddress: from },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body) as T,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export const formBody = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/**
 * Test-only: per file a Redis, per call of `open(env)` the API with the dashboard listening on a
 * free port (closed after each test). `server()` and `url()` read the current ones.
 */
export function useListeningDashboard() {
  let server: DashboardServer | undefined;
  let fx: DashboardFixture | undefined;
  let url = '';
  beforeAll(async () => {
    server = await startDashboardRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });
  const redisServer = () => {
    if (server === undefined) {
      throw new Error('useListeningDashboard: no Redis yet (call open() inside a test)');
    }
    return server;
  };
  return {
    server: redisServer,
    url: () => url,
    /** Closes the current app (if any), then opens and listens a new one. */
    async open(env: Record<string, string> = {}): Promise<DashboardFixture> {
      await fx?.close();
      fx = await openApi(redisServer(), env, { dashboard: {} });
      url = await fx.app.listen({ host: '127.0.0.1', port: 0 });
      return fx;
    },
  };
}
