import type { Currency } from '../currencies';

/** One generated marketplace server with the simulator's internal state. */
export interface SimServer {
  id: number;
  owner: number;
  /** Maximum rental length in hours. */
  mrl: number;
  gpuModel: string;
  gpuCount: number;
  gpuRamGb: number;
  cpu: string;
  cpus: string;
  ramGb: number;
  disk: string;
  diskSpeed: number;
  mb: string;
  net: { up: number; down: number; cc: string };
  cudaVersion: string;
  pcieRev: number;
  pcieWidth: number;
  allowedCoins: Currency[];
  /** The host's reference on-demand price, USD per day (shown in `price.usd` for coins it does not take). */
  usdPerDay: number;
  /** Per-day on-demand price in each allowed currency. */
  onDemand: Partial<Record<Currency, number>>;
  /** Per-day minimum spot bid in each allowed currency. */
  spotMin: Partial<Record<Currency, number>>;
  reliability: number;
  rating: { avg: number; cnt: number };
  online: boolean;
  gigaspot: boolean;
  /** Rented by someone outside the simulation (generated, or forced by `/_sim/servers/:id/rent`). */
  rentedExternally: boolean;
}
