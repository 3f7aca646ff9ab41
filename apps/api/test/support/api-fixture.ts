import { afterAll, afterEach, test as base } from 'vitest';
import { type OpenApiOptions, openApi, type RedisServer, startRedisServer, type TestApi } from './api-kit';

/** Open one more app on the file's Redis (closed after the test). */
export type OpenApi = (env?: Record<string, string>, options?: OpenApiOptions) => Promise<TestApi>;

/**
 * The API suites' `test` (call it at the top level of the file): `server` is one Redis per file;
 * `api` is an app with its own key prefix, data dir and queues, opened with `env` and `options`;
 * `openApi` opens more (other settings, a twin on the same prefix); `baseUrl` makes `api` listen. Apps are closed in an afterEach
 * and the Redis in an afterAll, both registered here so that they run before the leak check of the
 * setup file (hooks run in stack order; vitest tears fixtures down only after the hooks), and the
 * Redis is opened before the first test's snapshot (`auto`).
 */
export function apiTest(env: Record<string, string> = {}, options: OpenApiOptions = {}) {
  let server: RedisServer | undefined;
  const opened: TestApi[] = [];
  afterEach(async () => {
    for (const api of opened.splice(0)) {
      await api.close();
    }
  });
  afterAll(async () => {
    await server?.stop();
    server = undefined;
  });
  return (
    base
      .extend('server', { scope: 'file', auto: true }, async () => {
        server = await startRedisServer();
        return server;
      })
      .extend('openApi', async ({ server }): Promise<OpenApi> => {
        return async (more = {}, moreOptions = {}) => {
          const api = await openApi(server, { ...env, ...more }, { ...options, ...moreOptions });
          opened.push(api);
          return api;
        };
      })
      .extend('api', async ({ openApi }) => openApi())
      /** The `api` app listening on a loopback port: its base URL. */
      .extend('baseUrl', async ({ api }) => api.app.listen({ host: '127.0.0.1', port: 0 }))
  );
}
