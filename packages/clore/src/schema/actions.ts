import { z } from 'zod';
import { Id } from './primitives';

/** create_order: `{"code":0}` in the real API; the seeds' shape adds `order_id` (or `id`). */
export const CreateOrderResponseSchema = z.object({
  order_id: Id.optional(),
  id: Id.optional(),
});

/** cancel_orders: ids that could not be cancelled, as strings per the docs, or numbers. */
export const CancelOrdersResponseSchema = z.object({
  failed_to_cancel: z.array(Id).optional(),
});
