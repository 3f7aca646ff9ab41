export { type ApiResult, STATUS_OF_CODE } from './api/result';
export { buildSimApp, type SimApp } from './app';
export type { CallRecord } from './call-log';
export {
  type Balances,
  CURRENCIES,
  type Currency,
  DEFAULT_BALANCES,
  SPOT_MAX_STEP,
  toUsd,
  USD_RATES,
} from './currencies';
export type { EndpointFaults, FaultSettings } from './faults';
export type { IsolationSetting, SimHostOptions } from './host/host-options';
export type { Isolation } from './host/isolation';
export { keyHash } from './key-hash';
export type { SimServer } from './market/server';
export { DEFAULT_KEY, type ResponseShape, type SimKey, type SimLimits, type SimOptions } from './options';
export type { EndReason, OrderType } from './orders/order';
export type { OrderSummary } from './orders/order-summary';
export { Simulator } from './simulator';
export { type SimHandle, startSimulator } from './start';
