import { z } from 'zod';
import { RawSpecsSchema } from './marketplace';
import { Bool, Id, Num } from './primitives';

/** `null` is how the API says "no value": a null field is read as absent (Part A §16). */
function dropNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== null) {
      out[key] = entry;
    }
  }
  return out;
}

/**
 * A field the product only displays: a value of an unexpected type is dropped, not fatal (an order
 * must never become unreadable because of its rating or its GPU list).
 */
function informational<T extends z.ZodType>(schema: T) {
  return z.unknown().transform((value) => {
    const parsed = schema.safeParse(value);
    return parsed.success ? (parsed.data as z.output<T>) : undefined;
  });
}

/**
 * One order in either shape (Part A §2): the observed real one (`id`, `si`, `ct`, `expired`,
 * `online`, `mon_container`, `pub_cluster`, `tcp_ports`) or the seeds' one (`order_id`,
 * `renting_server`, `created`, `status`, `type`, `connection.ssh`). Which fields are required is
 * decided when normalising, so the error can name the alternatives. Every field may be `null`
 * (read as absent); the fields money, identity and state depend on must have the right type when
 * present, the display-only ones (Part A §17) are dropped when unreadable.
 */
export const RawOrderObjectSchema = z.object({
  id: Id.optional(),
  order_id: Id.optional(),
  si: Id.optional(),
  renting_server: Id.optional(),
  currency: z.string().optional(),
  price: Num.optional(),
  creation_fee: Num.optional(),
  fee: Num.optional(),
  spend: Num.optional(),
  ct: Num.optional(),
  created: Num.optional(),
  started: Num.optional(),
  /** Unix seconds when the order ends by its maximum rental length (Part A §17). */
  order_end: Num.optional(),
  mrl: Num.optional(),
  image: z.string().optional(),
  specs: informational(RawSpecsSchema).optional(),
  pub_cluster: z.union([z.array(z.string()), z.string()]).optional(),
  tcp_ports: z
    .union([z.array(z.string()), z.record(z.string(), z.union([z.string(), z.number()]))])
    .optional(),
  http_port: informational(z.union([z.string(), z.number()])).optional(),
  http_pub: informational(z.string()).optional(),
  online: Bool.optional(),
  mon_container: Num.optional(),
  spot: Bool.optional(),
  expired: Bool.optional(),
  type: z.string().optional(),
  status: z.string().optional(),
  connection: z.preprocess(dropNulls, z.looseObject({ ssh: z.string().optional() })).optional(),
  gpu_array: informational(z.array(z.string())).optional(),
  gpu_count: informational(Num).optional(),
  total_gpus: informational(Num).optional(),
  owner: informational(Id).optional(),
  rating: informational(
    z.preprocess(dropNulls, z.looseObject({ avg: Num.optional(), cnt: Num.optional() })),
  ).optional(),
  reliability: informational(Num).optional(),
  cuda_version: informational(z.union([z.string(), z.number()])).optional(),
});

export const RawOrderSchema = z.preprocess(dropNulls, RawOrderObjectSchema);

export type RawOrder = z.output<typeof RawOrderObjectSchema>;

export const MyOrdersResponseSchema = z.object({ orders: z.array(z.unknown()) });
