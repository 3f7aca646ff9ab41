import { z } from 'zod';
import { CURRENCIES } from '../currencies';

const orderId = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

export const CreateOrderBody = z.looseObject({
  renting_server: z.number().int(),
  type: z.enum(['on-demand', 'spot']),
  currency: z.enum(CURRENCIES),
  image: z.string().min(1),
  spotprice: z.number().positive().optional(),
  ports: z.record(z.string().regex(/^\d+$/), z.enum(['tcp', 'http'])).optional(),
  // Names a shell accepts; values without line breaks or NUL (they go into sshd_config `SetEnv`).
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().regex(/^[^\n\r\0]*$/)).optional(),
  ssh_password: z.string().max(32).optional(),
  ssh_key: z.string().max(3072).optional(),
  jupyter_token: z.string().max(32).optional(),
  command: z.string().optional(),
  required_price: z.number().optional(),
  autossh_entrypoint: z.union([z.boolean(), z.string()]).optional(),
  /** Registry credentials for a private image (clore-api.md Part A 15); format not public. */
  dockerhub_auth: z.string().optional(),
});

export const CancelOrderBody = z.looseObject({
  id: orderId,
  issue: z.string().optional(),
});

export const CancelOrdersBody = z.looseObject({
  order_ids: z.array(orderId).min(1).max(64),
});

export const SetSpotPriceBody = z.looseObject({
  order_id: orderId,
  desired_price: z.number().positive(),
});
