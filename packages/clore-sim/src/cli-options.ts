import { parseArgs } from 'node:util';
import { createLogger } from '@clore-batch/shared';
import { CURRENCIES, type Currency } from './currencies';
import { type FaultSettings, normalizeFaults } from './faults';
import type { SimKey, SimOptions } from './options';

export const HELP = `clore-sim: a Clore API simulator with a real sshd per order (see packages/clore-sim/README.md)

  --port N                 listen port (default 8077; 0 = free port)
  --host H                 listen host (default 127.0.0.1)
  --seed N                 marketplace and fault seed (default 1)
  --servers N              number of generated servers (default 60)
  --key KEY[:CUR=AMOUNT,...]  an API key with optional starting balances, repeatable
                           (e.g. --key demo:CLORE-Blockchain=5000,bitcoin=0.01); default one key "sim-key"
  --shape real|seed        response shape (default real)
  --general-ms N           min ms between calls of one key (default 1000)
  --create-ms N            min ms between create_order calls of one key (default 5000)
  --spot-lower-ms N        min ms between spot price lowerings (default 600000)
  --provisioning MIN-MAX   real ms until an order is up (default 1000-3000)
  --clock-speed X          sim time speed (default 1; 3600 = an hour of billing per second)
  --ssh-host H             host shown in pub_cluster (default 127.0.0.1)
  --usd-unit day|hour      unit of price.usd in the marketplace (default day)
  --creation-fee-usd N     creation fee per order in USD, in the order's currency (default 0.1)
  --clock-offset-ms=N      provider clock ahead (+) or behind (-) real time, ms (default 0)
  --reprice P[:FACTOR]     chance a host reprices between listing and create, price x FACTOR
                           (default 0; factor 1.2)
  --no-required-price      do not refuse a create whose required_price is below the booked price
  --faults JSON            fault settings (README "Faults"), e.g. '{"endpoints":{"*":{"http502":0.05}}}'
  --log-level L            pino level (default info)
  -h, --help
`;

function parseKey(spec: string): SimKey {
  const [key, balanceSpec] = spec.split(/:(.*)/s, 2);
  if (!key) {
    throw new Error(`bad --key ${spec}`);
  }
  const balances: Partial<Record<Currency, number>> = {};
  for (const part of (balanceSpec ?? '').split(',').filter(Boolean)) {
    const [currency, amount] = part.split('=');
    if (
      !currency ||
      !(CURRENCIES as readonly string[]).includes(currency) ||
      !Number.isFinite(Number(amount))
    ) {
      throw new Error(`bad balance "${part}" in --key (currency one of ${CURRENCIES.join(', ')})`);
    }
    balances[currency as Currency] = Number(amount);
  }
  return { key, balances };
}

function numberFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (!Number.isFinite(n)) {
    throw new Error(`--${name} must be a number, got "${value}"`);
  }
  return n;
}

export function optionsFromArgs(args: string[]): SimOptions | 'help' {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      servers: { type: 'string' },
      key: { type: 'string', multiple: true },
      shape: { type: 'string' },
      'general-ms': { type: 'string' },
      'create-ms': { type: 'string' },
      'spot-lower-ms': { type: 'string' },
      provisioning: { type: 'string' },
      'clock-speed': { type: 'string' },
      'ssh-host': { type: 'string' },
      'usd-unit': { type: 'string' },
      'creation-fee-usd': { type: 'string' },
      'clock-offset-ms': { type: 'string' },
      reprice: { type: 'string' },
      'no-required-price': { type: 'boolean' },
      faults: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    return 'help';
  }
  if (values.shape !== undefined && values.shape !== 'real' && values.shape !== 'seed') {
    throw new Error('--shape must be real or seed');
  }
  if (values['usd-unit'] !== undefined && values['usd-unit'] !== 'day' && values['usd-unit'] !== 'hour') {
    throw new Error('--usd-unit must be day or hour');
  }
  let provisioningMs: [number, number] | undefined;
  if (values.provisioning !== undefined) {
    const match = /^(\d+)-(\d+)$/.exec(values.provisioning);
    if (!match) {
      throw new Error('--provisioning must be MIN-MAX in ms, e.g. 1000-3000');
    }
    provisioningMs = [Number(match[1]), Number(match[2])];
  }
  let reprice: { repriceChance: number; repriceFactor?: number } | undefined;
  if (values.reprice !== undefined) {
    const match = /^([\d.]+)(?::([\d.]+))?$/.exec(values.reprice);
    if (!match) {
      throw new Error('--reprice must be P or P:FACTOR, e.g. 0.3:1.2');
    }
    reprice = { repriceChance: Number(match[1]) };
    if (match[2] !== undefined) {
      reprice.repriceFactor = Number(match[2]);
    }
  }
  const provider: NonNullable<SimOptions['provider']> = { ...reprice };
  const creationFeeUsd = numberFlag(values['creation-fee-usd'], 'creation-fee-usd');
  if (creationFeeUsd !== undefined) {
    provider.creationFeeUsd = creationFeeUsd;
  }
  const clockOffsetMs = numberFlag(values['clock-offset-ms'], 'clock-offset-ms');
  if (clockOffsetMs !== undefined) {
    provider.clockOffsetMs = clockOffsetMs;
  }
  if (values['no-required-price'] === true) {
    provider.enforceRequiredPrice = false;
  }
  const options: SimOptions = {
    port: numberFlag(values.port, 'port') ?? 8077,
    host: values.host,
    seed: numberFlag(values.seed, 'seed'),
    servers: numberFlag(values.servers, 'servers'),
    keys: values.key?.map(parseKey),
    shape: values.shape as SimOptions['shape'],
    limits: {
      generalMs: numberFlag(values['general-ms'], 'general-ms'),
      createMs: numberFlag(values['create-ms'], 'create-ms'),
      spotLowerMs: numberFlag(values['spot-lower-ms'], 'spot-lower-ms'),
    },
    provisioningMs,
    clockSpeed: numberFlag(values['clock-speed'], 'clock-speed'),
    sshHost: values['ssh-host'],
    usdPriceUnit: values['usd-unit'] as SimOptions['usdPriceUnit'],
    provider,
    faults: values.faults ? normalizeFaults(JSON.parse(values.faults) as FaultSettings) : undefined,
    logger: createLogger({ level: values['log-level'] ?? 'info', base: { service: 'clore-sim' } }),
  };
  return options;
}
