import { type Currency, roundAmount, toUsd } from '../currencies';
import type { SimServer } from './server';

export function specsOf(server: SimServer) {
  return {
    mb: server.mb,
    cpu: server.cpu,
    cpus: server.cpus,
    ram: server.ramGb,
    disk: server.disk,
    disk_speed: server.diskSpeed,
    gpu: `${server.gpuCount}x ${server.gpuModel}`,
    gpuram: server.gpuRamGb,
    net: server.net,
    backend_version: 11,
    pcie_rev: server.pcieRev,
    pcie_width: server.pcieWidth,
    pl: Array.from({ length: server.gpuCount }, () => 350),
    stock_pl: Array.from({ length: server.gpuCount }, () => 350),
    stock_oc: 'default',
  };
}

/** USD per day (or hour) of a price; a coin the host does not take shows its reference USD price. */
function usdOf(server: SimServer, coin: Currency, kind: 'onDemand' | 'spotMin', hourly: boolean): number {
  const amount = server[kind][coin];
  const perDay = amount === undefined ? server.usdPerDay : toUsd(amount, coin);
  return roundAmount(perDay / (hourly ? 24 : 1), 'USD-Blockchain');
}

/** `price.usd` (clore-api.md §4): USD equivalents of the on-demand price in each coin, and of the spot minimum. */
function usdPrices(server: SimServer, hourly: boolean) {
  const firstCoin = server.allowedCoins[0] ?? 'CLORE-Blockchain';
  return {
    on_demand_usd: usdOf(server, 'USD-Blockchain', 'onDemand', hourly),
    on_demand_clore: usdOf(server, 'CLORE-Blockchain', 'onDemand', hourly),
    on_demand_btc: usdOf(server, 'bitcoin', 'onDemand', hourly),
    spot: usdOf(server, firstCoin, 'spotMin', hourly),
  };
}

/** A server as `/v1/marketplace` shows it. */
export function marketplaceServerView(server: SimServer, rented: boolean, usdUnit: 'day' | 'hour') {
  return {
    id: server.id,
    owner: server.owner,
    mrl: server.mrl,
    price: {
      on_demand: { ...server.onDemand },
      spot: { ...server.spotMin },
      usd: usdPrices(server, usdUnit === 'hour'),
    },
    rented,
    specs: specsOf(server),
    reliability: server.reliability,
    allowed_coins: [...server.allowedCoins],
    rating: { ...server.rating },
    gpu_array: Array.from({ length: server.gpuCount }, () => server.gpuModel),
    cuda_version: server.cudaVersion,
    ...(server.gigaspot ? { gigaspot: true } : {}),
  };
}
