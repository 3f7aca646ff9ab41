import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/**
 * OpenAPI 3 generated from the route schemas (the shared zod schemas), served as JSON at
 * `/docs/json` with Swagger UI at `/docs`. The documentation is public (a browser cannot send a
 * bearer token to load it); every route it describes needs one but `/healthz` and `/readyz`, which
 * say so with an empty `security` (probes send no token). Every operation has an `operationId` and
 * lists only the statuses it can answer; the admin dashboard's routes are left out. docs/decisions/0061,
 * 0129 and 0138.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'clore-batch API',
        version: '0.1.0',
        description:
          'Batch GPU jobs on the Clore.ai marketplace. Every route needs `Authorization: Bearer <token>` but `/healthz` and `/readyz`. Errors are `{code, message, details?}` (docs/errors.md).',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
    // The admin dashboard (pages, its JSON API, static files, bull-board) is no part of the public API.
    transform: (input) =>
      isAdminUrl(input.url)
        ? { schema: { ...input.schema, hide: true }, url: input.url }
        : jsonSchemaTransform({ ...input, schema: withoutHeadSuffix(input.schema) }),
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiHooks: {},
  });
}

/** The admin dashboard's routes (docs/decisions/0138: hidden from the document). */
export function isAdminUrl(url: string): boolean {
  return url === '/admin' || url.startsWith('/admin/');
}

/**
 * @fastify/swagger suffixes the operationId of every documented HEAD route with `-head` (meant for
 * the HEAD twin of a GET); the API's only HEAD route has no twin, so it keeps its own camelCase id.
 */
function withoutHeadSuffix<S extends { operationId?: unknown }>(schema: S): S {
  const id = schema?.operationId;
  return typeof id === 'string' && id.endsWith('-head')
    ? { ...schema, operationId: id.slice(0, -5) }
    : schema;
}
