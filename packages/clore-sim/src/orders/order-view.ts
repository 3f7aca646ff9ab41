import type { SimServer } from '../market/server';
import { specsOf } from '../market/server-view';
import type { ResponseShape } from '../options';
import { isActive, type SimOrder } from './order';

function round(value: number): number {
  return Number(value.toFixed(10));
}

function tcpPorts(order: SimOrder): string[] {
  return [
    `22:${order.sshPort}`,
    ...Object.entries(order.extraTcpPorts).map(([inner, outer]) => `${inner}:${outer}`),
  ];
}

/** An order in the observed real shape (clore-api.md §5): no status; `expired`, `online`, `mon_container`. */
function realView(order: SimOrder, server: SimServer | undefined, sshHost: string) {
  return {
    id: order.id,
    si: order.serverId,
    currency: order.currency,
    price: order.price,
    creation_fee: order.creationFee,
    spend: round(order.spend),
    ct: Math.floor(order.createdAtSim / 1000),
    // Part A 17: more fields seen in 2026-07 (`fee` is null on a USD-Blockchain order).
    order_end: Math.floor((order.createdAtSim + order.mrlHours * 3_600_000) / 1000),
    fee: order.currency === 'USD-Blockchain' ? null : 0,
    gpu_count: server?.gpuCount ?? 0,
    total_gpus: server?.gpuCount ?? 0,
    mrl: order.mrlHours,
    image: order.image,
    specs: server ? specsOf(server) : {},
    pub_cluster: [sshHost],
    tcp_ports: tcpPorts(order),
    http_port: order.httpPort ?? '',
    http_pub: order.httpPort ? `${order.id}.http.clore-sim.invalid` : '',
    online: isActive(order) && (server?.online ?? false),
    // 2 = deployed (Part A §7): an order that is up shows 2 (branch sim-host stages 0 -> 1 -> 2).
    mon_container: isActive(order) && order.monContainer === 1 ? 2 : 0,
    auto_login: '',
    spot: order.type === 'spot',
    expired: !isActive(order),
    owner: server?.owner ?? 0,
    reliability: server?.reliability ?? 0,
    rating: server ? { ...server.rating } : { avg: 0, cnt: 0 },
    cuda_version: server?.cudaVersion ?? '',
    gpu_array: server ? Array.from({ length: server.gpuCount }, () => server.gpuModel) : [],
  };
}

export type SeedStatus = 'pending' | 'running' | 'expired';

export function seedStatus(order: SimOrder): SeedStatus {
  if (!isActive(order)) {
    return 'expired';
  }
  return order.monContainer === 1 ? 'running' : 'pending';
}

/** An order in the seed documents' shape: `order_id`, `renting_server`, `status`, `connection.ssh`. */
function seedView(order: SimOrder, sshHost: string) {
  return {
    order_id: order.id,
    renting_server: order.serverId,
    status: seedStatus(order),
    type: order.type,
    currency: order.currency,
    price: order.price,
    creation_fee: order.creationFee,
    spend: round(order.spend),
    image: order.image,
    connection: {
      ssh: `ssh root@${sshHost} -p ${order.sshPort}`,
      http_ports: order.httpPort ? { [order.httpPort]: `${order.id}.http.clore-sim.invalid` } : {},
    },
  };
}

export function orderView(
  order: SimOrder,
  server: SimServer | undefined,
  shape: ResponseShape,
  sshHost: string,
) {
  return shape === 'seed' ? seedView(order, sshHost) : realView(order, server, sshHost);
}
