import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/**
 * OpenAPI 3 generated from the route schemas (the shared zod schemas), served as JSON at
 * `/docs/json` with Swagger UI at `/docs`. The documentation is public (a browser cannot send a
 * bearer token to load it); every route it describes needs one but `/healthz` and `/readyz`, which
 * say so with an empty `security` (probes send no token). docs/decisions/0061 and 0129.
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
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiHooks: {},
  });
}
