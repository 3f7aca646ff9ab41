import { AppError } from '@clore-batch/shared';

export type OrderType = 'on-demand' | 'spot';

export interface CreateOrderOptions {
  /** The marketplace server id (`renting_server`). */
  serverId: number;
  type: OrderType;
  /** "CLORE-Blockchain", "bitcoin" or "USD-Blockchain"; must be in the server's allowed currencies. */
  currency: string;
  image: string;
  /** Spot only, required there: the bid, per day, in `currency`. */
  spotPricePerDay?: number;
  /** Container ports to expose, e.g. `{ "22": "tcp" }`. */
  ports?: Record<string, 'tcp' | 'http'>;
  env?: Record<string, string>;
  /** At most 32 characters. */
  sshPassword?: string;
  /** A public key, at most 3 072 characters. */
  sshKey?: string;
  /** At most 32 characters. */
  jupyterToken?: string;
  /** Startup shell script. */
  command?: string;
  /** Price guard: the per-day price in `currency` the caller expects. */
  requiredPricePerDay?: number;
  autosshEntrypoint?: boolean;
  /** Registry credentials for a private image (`dockerhub_auth`, Part A §15). A secret: never logged. */
  dockerhubAuth?: string;
}

/** Field limits of Part A §4. */
const MAX_LENGTH = { sshPassword: 32, jupyterToken: 32, sshKey: 3072 } as const;

/**
 * Check the options locally (no slot is spent on a request the API must refuse) and build the
 * create_order body. Errors name the field and the limit, never the value (it may be a secret).
 */
export function createOrderBody(options: CreateOrderOptions): Record<string, unknown> {
  const problems: string[] = [];
  for (const [field, max] of Object.entries(MAX_LENGTH)) {
    const value = options[field as keyof typeof MAX_LENGTH];
    if (value !== undefined && value.length > max) {
      problems.push(`${field} is longer than ${max} characters`);
    }
  }
  if (options.type === 'spot' && (options.spotPricePerDay === undefined || !(options.spotPricePerDay > 0))) {
    problems.push('spotPricePerDay is required (> 0) for a spot order');
  }
  if (!Number.isInteger(options.serverId) || options.serverId < 0) {
    problems.push('serverId must be a non-negative integer');
  }
  if (problems.length > 0) {
    throw new AppError('VALIDATION_FAILED', `create_order: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  const body: Record<string, unknown> = {
    renting_server: options.serverId,
    type: options.type,
    currency: options.currency,
    image: options.image,
  };
  if (options.type === 'spot' && options.spotPricePerDay !== undefined) {
    body.spotprice = options.spotPricePerDay;
  }
  if (options.ports !== undefined) {
    body.ports = options.ports;
  }
  if (options.env !== undefined) {
    body.env = options.env;
  }
  if (options.sshPassword !== undefined) {
    body.ssh_password = options.sshPassword;
  }
  if (options.sshKey !== undefined) {
    body.ssh_key = options.sshKey;
  }
  if (options.jupyterToken !== undefined) {
    body.jupyter_token = options.jupyterToken;
  }
  if (options.command !== undefined) {
    body.command = options.command;
  }
  if (options.requiredPricePerDay !== undefined) {
    body.required_price = options.requiredPricePerDay;
  }
  if (options.autosshEntrypoint !== undefined) {
    body.autossh_entrypoint = options.autosshEntrypoint;
  }
  if (options.dockerhubAuth !== undefined) {
    body.dockerhub_auth = options.dockerhubAuth;
  }
  return body;
}
