import { randomBytes } from 'node:crypto';
import type { Logger } from '@clore-batch/shared';
import { silentLogger } from '@clore-batch/shared';
import { type Balances, type Currency, DEFAULT_BALANCES } from './currencies';
import { type FaultSettings, normalizeFaults } from './faults';
import {
  type ProviderSettings,
  type ResolvedProviderSettings,
  resolveProviderSettings,
} from './provider-settings';

export type ResponseShape = 'real' | 'seed';

export interface SimKey {
  key: string;
  balances?: Partial<Record<Currency, number>>;
  /** Server ids this key's account hosts (create_order on them answers `cant_rent_from_yourself`). */
  ownServers?: number[];
}

export interface SimLimits {
  /** Minimum real ms between two allowed calls of one key (default 1000). */
  generalMs?: number;
  /** Minimum real ms between two allowed create_order calls of one key (default 5000). */
  createMs?: number;
  /** Minimum real ms between two lowerings of one spot order's price (default 600 000). */
  spotLowerMs?: number;
}

export interface SimOptions {
  /** Listen port (0 = a free port). */
  port?: number;
  /** Listen host for the HTTP API (default 127.0.0.1). */
  host?: string;
  /** Seed for the marketplace and the fault rolls (default 1). */
  seed?: number;
  /** Number of generated servers (default 60). */
  servers?: number;
  /** API keys and their starting balances (default one key `sim-key`). */
  keys?: SimKey[];
  /** Response shape: the observed real API (default) or the seed documents'. */
  shape?: ResponseShape;
  limits?: SimLimits;
  /** Real ms from create_order to the order running, picked uniformly per order (default [1000, 3000]). */
  provisioningMs?: [number, number];
  /** Sim time speed (1 = real time; 3600 = an hour of billing per real second). */
  clockSpeed?: number;
  faults?: FaultSettings;
  /** Host shown in `pub_cluster` / `connection.ssh`; every sshd listens on 127.0.0.1 (default 127.0.0.1). */
  sshHost?: string;
  /** Real ms between billing ticks (default 200). */
  tickMs?: number;
  /** Unit of `price.usd.*` in the marketplace (default `day`, clore-api.md Part A 5). */
  usdPriceUnit?: 'day' | 'hour';
  /** Fees, clock offset, repricing, the required_price guard (src/provider-settings.ts). */
  provider?: ProviderSettings;
  logger?: Logger;
}

export interface ResolvedKey {
  key: string;
  balances: Balances;
  ownServers: number[];
}

export interface ResolvedOptions {
  port: number;
  host: string;
  seed: number;
  servers: number;
  keys: ResolvedKey[];
  shape: ResponseShape;
  limits: Required<SimLimits>;
  provisioningMs: [number, number];
  clockSpeed: number;
  faults: FaultSettings;
  sshHost: string;
  tickMs: number;
  usdPriceUnit: 'day' | 'hour';
  provider: ResolvedProviderSettings;
  logger: Logger;
  /** A random id for this simulator instance; it marks the processes of its orders. */
  instanceId: string;
}

export const DEFAULT_KEY = 'sim-key';

export function resolveOptions(options: SimOptions = {}): ResolvedOptions {
  const keys = (options.keys ?? [{ key: DEFAULT_KEY }]).map((k) => ({
    key: k.key,
    balances: { ...DEFAULT_BALANCES, ...k.balances },
    ownServers: k.ownServers ?? [],
  }));
  const provisioningMs = options.provisioningMs ?? [1000, 3000];
  if (provisioningMs[0] < 0 || provisioningMs[1] < provisioningMs[0]) {
    throw new Error(
      `provisioningMs must be [min, max] with 0 <= min <= max, got [${provisioningMs.join(', ')}]`,
    );
  }
  const clockSpeed = options.clockSpeed ?? 1;
  if (!(clockSpeed > 0)) {
    throw new Error(`clockSpeed must be > 0, got ${clockSpeed}`);
  }
  return {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    seed: options.seed ?? 1,
    servers: options.servers ?? 60,
    keys,
    shape: options.shape ?? 'real',
    limits: {
      generalMs: options.limits?.generalMs ?? 1000,
      createMs: options.limits?.createMs ?? 5000,
      spotLowerMs: options.limits?.spotLowerMs ?? 600_000,
    },
    provisioningMs,
    clockSpeed,
    faults: normalizeFaults(options.faults),
    sshHost: options.sshHost ?? '127.0.0.1',
    tickMs: options.tickMs ?? 200,
    usdPriceUnit: options.usdPriceUnit ?? 'day',
    provider: resolveProviderSettings(options.provider),
    logger: options.logger ?? silentLogger(),
    instanceId: randomBytes(8).toString('hex'),
  };
}
