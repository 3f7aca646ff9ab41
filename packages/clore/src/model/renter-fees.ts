import type { z } from 'zod';
import type { OrderType } from '../client/create-order-request';
import type { RenterFeesResponseSchema } from '../schema/renter-fees';

/** The provider's fees, per order type and currency (amounts in the currency's own units). */
export interface RenterFees {
  /** The one-off fee of an order, in the order's currency (Part A 11). */
  creationFees: Record<OrderType, Record<string, number>>;
  /** `renter_fees.*.base`: the provider's renter fee figures, as sent (their unit is not public). */
  renterFeeBase: Record<OrderType, Record<string, number>>;
  pohBalance?: number;
}

export function normaliseRenterFees(raw: z.output<typeof RenterFeesResponseSchema>): RenterFees {
  const fees: RenterFees = {
    creationFees: {
      'on-demand': { ...raw.creation_fees?.on_demand },
      spot: { ...raw.creation_fees?.spot },
    },
    renterFeeBase: {
      'on-demand': { ...raw.renter_fees?.on_demand?.base },
      spot: { ...raw.renter_fees?.spot?.base },
    },
  };
  if (raw.poh_balance !== undefined) {
    fees.pohBalance = raw.poh_balance;
  }
  return fees;
}
