import { z } from 'zod';
import { RawSpecsSchema } from './marketplace';
import { Bool, Id, Num } from './primitives';

/**
 * One order in either shape (Part A §2): the observed real one (`id`, `si`, `ct`, `expired`,
 * `online`, `mon_container`, `pub_cluster`, `tcp_ports`) or the seeds' one (`order_id`,
 * `renting_server`, `created`, `status`, `type`, `connection.ssh`). Which fields are required is
 * decided when normalising, so the error can name the alternatives.
 */
export const RawOrderSchema = z.object({
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
  mrl: Num.optional(),
  image: z.string().optional(),
  specs: RawSpecsSchema.optional(),
  pub_cluster: z.union([z.array(z.string()), z.string()]).optional(),
  tcp_ports: z
    .union([z.array(z.string()), z.record(z.string(), z.union([z.string(), z.number()]))])
    .optional(),
  http_port: z.union([z.string(), z.number()]).optional(),
  http_pub: z.string().optional(),
  online: Bool.optional(),
  mon_container: Num.optional(),
  spot: Bool.optional(),
  expired: Bool.optional(),
  type: z.string().optional(),
  status: z.string().optional(),
  connection: z.looseObject({ ssh: z.string().optional() }).optional(),
  gpu_array: z.array(z.string()).optional(),
});

export type RawOrder = z.infer<typeof RawOrderSchema>;

export const MyOrdersResponseSchema = z.object({ orders: z.array(z.unknown()) });
