import { AppError, type Config, type DeepReadonly } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../http/job-access';
import { errorStatuses, TOKEN_ERRORS } from '../http/schemas';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, tenantWebhookKey, webhookKey } from '../webhooks/signature';

const WebhookKeyQuerySchema = z.strictObject({
  tenant: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe("admin tokens only: that tenant's key (a token name of API_TOKENS); default the caller's own"),
});

export const WebhookKeySchema = z
  .object({
    tenant: z.string().describe('the token name whose jobs are signed with this key'),
    key: z.string().describe('the HMAC key (hex): keep it secret, it proves webhooks come from this API'),
    algorithm: z.literal('HMAC-SHA256'),
    signatureHeader: z.literal(SIGNATURE_HEADER),
    timestampHeader: z.literal(TIMESTAMP_HEADER),
    signed: z.string().describe('what is signed and how the signature header reads'),
  })
  .meta({ id: 'WebhookKey' });

/**
 * GET /v1/webhook-key: the key the webhooks of the caller's jobs are signed with (signature.ts
 * `tenantWebhookKey`). A secret in an answer by design, so `cache-control: no-store`, and never
 * logged. A submit token gets only its own key (403 FORBIDDEN for `?tenant=` of another); an admin
 * token any token name's. docs/decisions/0134.
 */
export async function webhookKeyRoutes(
  root: FastifyInstance,
  deps: { config: DeepReadonly<Config> },
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { config } = deps;
  const masterKey = webhookKey(config.WEBHOOK_SECRET, config.SECRETS_KEY);
  const tenants = new Set(config.API_TOKENS.map((token) => token.name));
  app.get(
    '/v1/webhook-key',
    {
      schema: {
        operationId: 'getWebhookKey',
        tags: ['webhooks'],
        summary: "The caller's webhook signing key",
        description:
          'The key the webhooks of the caller\'s jobs are signed with: `X-Clore-Batch-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>.<raw body>")>`, the timestamp in `X-Clore-Batch-Timestamp` (unix seconds). Each tenant (token name) has its own key. A submit token gets its own key only: `?tenant=` naming another is a 403 `FORBIDDEN`. Admin tokens may name any token name with `?tenant=` (404 `NOT_FOUND` for a name that is not one). Answered with `cache-control: no-store`.',
        querystring: WebhookKeyQuerySchema,
        response: { 200: WebhookKeySchema, ...errorStatuses(400, 403, 404, ...TOKEN_ERRORS) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const tenant = request.query.tenant ?? principal.name;
      if (tenant !== principal.name) {
        if (principal.role !== 'admin') {
          throw new AppError('FORBIDDEN', 'a submit token gets only its own webhook key: leave out `tenant`');
        }
        if (!tenants.has(tenant)) {
          throw new AppError(
            'NOT_FOUND',
            `no tenant ${JSON.stringify(tenant)}: not a token name of API_TOKENS`,
          );
        }
      }
      request.log.info({ tenant, by: principal.name }, 'webhook key read');
      return reply.header('cache-control', 'no-store').send({
        tenant,
        key: tenantWebhookKey(masterKey, tenant),
        algorithm: 'HMAC-SHA256' as const,
        signatureHeader: SIGNATURE_HEADER,
        timestampHeader: TIMESTAMP_HEADER,
        signed: 'sha256=<hex HMAC-SHA256(key, "<timestamp>.<raw body>")>',
      });
    },
  );
}
