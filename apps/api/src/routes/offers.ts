import { AppError, type Config, type DeepReadonly, summariseOffers } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { errorStatuses, TOKEN_ERRORS } from '../http/schemas';
import type { MarketplaceReader } from '../market/marketplace-reader';
import { OffersQuerySchema, OffersSchema } from './offers-schemas';

/**
 * GET /v1/offers: what the marketplace offers by GPU model and count, from the fleet leader's
 * stored snapshot (no Clore call). No snapshot yet: 503 MARKETPLACE_UNKNOWN, and the leader is asked
 * for a refresh.
 */
export async function offerRoutes(
  root: FastifyInstance,
  deps: { config: DeepReadonly<Config>; market: MarketplaceReader },
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/v1/offers',
    {
      schema: {
        operationId: 'getOffers',
        tags: ['offers'],
        summary: 'GPU offers on the marketplace',
        description:
          "Per GPU model and count: how many listed servers take the currency, how many are free now, the cheapest and median USD per hour of the free ones, VRAM and the cheapest few servers; priced and matched as the worker's selection does. Read from the fleet leader's marketplace snapshot, whose time and age are in the answer (no Clore call). 503 `MARKETPLACE_UNKNOWN` while no snapshot is stored (the leader is asked for one; retry).",
        querystring: OffersQuerySchema,
        response: { 200: OffersSchema, ...errorStatuses(400, 503, ...TOKEN_ERRORS) },
      },
    },
    async (request) => {
      const snapshot = await deps.market.read();
      if (snapshot === undefined) {
        await deps.market.requestRefresh().catch(() => undefined);
        throw new AppError(
          'MARKETPLACE_UNKNOWN',
          'the marketplace is not known yet: no fleet leader has listed it (is a worker running?); a refresh was asked for, retry in a few seconds',
        );
      }
      const { gpu, maxPricePerHourUsd } = request.query;
      const currency = request.query.currency ?? deps.config.CLORE_CURRENCY;
      const orderType = request.query.orderType ?? 'on-demand';
      const ageSeconds = Math.max(0, Math.round((Date.now() - snapshot.at) / 1000));
      return {
        at: new Date(snapshot.at).toISOString(),
        ageSeconds,
        stale: ageSeconds > deps.config.MARKETPLACE_MAX_AGE_SECONDS,
        currency,
        orderType,
        offers: summariseOffers(snapshot, {
          currency,
          orderType,
          ...(gpu === undefined ? {} : { gpu }),
          ...(maxPricePerHourUsd === undefined ? {} : { maxPricePerHourUsd }),
        }),
      };
    },
  );
}
