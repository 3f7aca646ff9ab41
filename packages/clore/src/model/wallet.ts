export interface Wallet {
  /** "CLORE-Blockchain", "bitcoin" or "USD-Blockchain". */
  currency: string;
  balance: number;
  depositAddress?: string;
  withdrawalFee?: number;
}
