export { type CloreConfig, cloreClientFromConfig, cloreLimiterFromConfig } from './client/client-from-config';
export {
  type CallOptions,
  CloreClient,
  type CloreClientOptions,
  type CreateOrderResult,
  type FindOrderByServerOptions,
  type Marketplace,
  type MyOrdersReport,
  type UnreadableOrder,
} from './client/clore-client';
export { type CreateOrderOptions, createOrderBody, type OrderType } from './client/create-order-request';
export { createFeeBook, type FeeBook, type FeeBookOptions } from './client/fee-book';
export {
  backoffDelayMs,
  isRetryable,
  type RetryOptions,
  type RetryPolicy,
  retryPolicy,
} from './client/retry-policy';
export { DEFAULT_LANE, ENDPOINTS, type Endpoint, LANES, type Lane, lanePriority } from './endpoints';
export {
  type CloreErrorAction,
  type CloreErrorClass,
  type CloreJobFailureReason,
  classifyCloreError,
  ERROR_STRING_RULES,
  REQUIRED_PRICE_REFUSED,
} from './errors/classify';
export { CloreApiError, type CloreApiErrorExtra, type CloreApiErrorOptions } from './errors/clore-api-error';
export { CloreBadResponseError } from './errors/clore-bad-response-error';
export { CloreTransportError, type TransportFailureKind } from './errors/clore-transport-error';
export { hashApiKey } from './hash-api-key';
export type { AcquireRequest, AcquireResult, CallLimiter } from './limiter/limiter-types';
export {
  createRateLimiter,
  type LaneStats,
  type RateLimiter,
  type RateLimiterOptions,
} from './limiter/rate-limiter';
export { type Order, orderSpendUsd } from './model/order';
export type { RenterFees } from './model/renter-fees';
export type { Server, ServerSpecs } from './model/server';
export type { SpotMarket, SpotOffer } from './model/spot-market';
export type { SshEndpoint } from './model/ssh-endpoint';
export type { Wallet } from './model/wallet';
export { DEFAULT_PRICE_UNIT, type PriceUnit, toUsdPerHour } from './money/price-unit';
export { deriveUsdRates, toUsd, USD_KEY_BY_CURRENCY, type UsdRates } from './money/usd-rates';
export type { FetchLike } from './transport/send-request';
