import { z } from 'zod';

/**
 * The one internal model of Clore's orders and servers, as the Clore client returns them
 * (packages/clore normalises both response shapes to these and re-exports the types) and as the
 * fleet stores them in Redis inside its snapshots. Kept here, beside the fleet records, because
 * packages/clore builds on this package and every reader of a stored snapshot parses it with these.
 */

export const SshEndpointSchema = z.object({
  host: z.string(),
  port: z.number(),
  user: z.string(),
});

export type SshEndpoint = z.infer<typeof SshEndpointSchema>;

/** An order (a rental). */
export const OrderSchema = z.object({
  id: z.number(),
  serverId: z.number(),
  currency: z.string(),
  /** Per-day price in `currency` (for spot orders: the bid). */
  pricePerDay: z.number(),
  /**
   * One-off fee in `currency`. When the API did not say: CREATION_FEE_DAY_FRACTION of a day's price
   * (on the safe side), and `creationFeeEstimated` is set.
   */
  creationFee: z.number(),
  creationFeeEstimated: z.literal(true).optional(),
  /** What the provider has billed so far, in `currency`; undefined when the API did not say. */
  spend: z.number().optional(),
  /** Creation time, unix seconds; undefined when the API did not say (the simulator's seeds shape). */
  createdAt: z.number().optional(),
  expired: z.boolean(),
  /** Still running or coming up (not expired). */
  active: z.boolean(),
  online: z.boolean(),
  /** `mon_container` as sent (0 created, 1 deploying, 2 deployed; Part A §7). */
  monContainer: z.number().optional(),
  /** The container runs (mon_container >= 1), possibly still deploying. */
  containerUp: z.boolean(),
  /** Deployed: mon_container >= 2, or the seeds' status "running". */
  deployed: z.boolean(),
  /** active && online && deployed. SSH may still refuse the key for a while (Part A §7). */
  ready: z.boolean(),
  /** The SSH endpoint; never set for an expired order (its address may already be another's). */
  ssh: SshEndpointSchema.optional(),
  spot: z.boolean(),
  image: z.string().optional(),
  mrlHours: z.number().optional(),
  /** Unix seconds when the order ends by its maximum rental length (`order_end`). */
  orderEnd: z.number().optional(),
  /** The renter fee field (`fee`); absent when null, as on USD-Blockchain orders. */
  fee: z.number().optional(),
  gpuCount: z.number().optional(),
  totalGpus: z.number().optional(),
  gpuArray: z.array(z.string()).optional(),
  /** The host's user id. */
  ownerId: z.number().optional(),
  rating: z.object({ avg: z.number().optional(), cnt: z.number().optional() }).optional(),
  /** 0..1 (Part A §6: a value above 1 is read as a percentage). */
  reliability: z.number().optional(),
  cudaVersion: z.string().optional(),
  /** The seeds' `status` string, when the API sent one. */
  providerStatus: z.string().optional(),
});

export type Order = z.infer<typeof OrderSchema>;

export const ServerSpecsSchema = z.object({
  cpu: z.string().optional(),
  cpuThreads: z.string().optional(),
  ramGb: z.number().optional(),
  disk: z.string().optional(),
  diskSpeedMbps: z.number().optional(),
  netUpMbps: z.number().optional(),
  netDownMbps: z.number().optional(),
  country: z.string().optional(),
});

export type ServerSpecs = z.infer<typeof ServerSpecsSchema>;

const Amounts = z.record(z.string(), z.number());

/** A marketplace server. */
export const ServerSchema = z.object({
  id: z.number(),
  ownerId: z.number().optional(),
  /** One entry per GPU, e.g. `["NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 4090"]`. */
  gpus: z.array(z.string()),
  gpuCount: z.number(),
  /** The host's GPU text, e.g. "2x NVIDIA GeForce RTX 4090". */
  gpuModel: z.string(),
  /** Memory per GPU, GB. */
  vramGb: z.number().optional(),
  /** 0..1 (a value above 1 was read as a percentage; missing reads as 0). */
  reliability: z.number(),
  rented: z.boolean(),
  online: z.boolean().optional(),
  /** GigaSPOT machines refuse normal orders. */
  gigaspot: z.boolean(),
  allowedCurrencies: z.array(z.string()),
  /** Maximum rental length, hours. */
  mrlHours: z.number().optional(),
  /** Per-day prices in each currency: on-demand, and the minimum spot bid. */
  pricePerDay: z.object({ onDemand: Amounts, spot: Amounts }),
  /**
   * USD per hour: on-demand per payment currency (from `price.usd`, else converted with the
   * marketplace's rates), and the minimum spot bid.
   */
  usdPerHour: z.object({ onDemand: Amounts, spot: z.number().optional() }),
  rating: z.object({ average: z.number(), count: z.number() }).optional(),
  cudaVersion: z.string().optional(),
  specs: ServerSpecsSchema,
});

export type Server = z.infer<typeof ServerSchema>;

/** USD for one unit of each currency, e.g. `{ 'CLORE-Blockchain': 0.03, bitcoin: 60000 }`. */
export const UsdRatesSchema = z.record(z.string(), z.number());
