import { OrderHost } from '../host/order-host';
import { keyHash } from '../key-hash';
import type { SimServer } from '../market/server';
import type { CreateRequest } from './create-checks';
import type { SimOrder } from './order';

export interface CreateOrderInput extends CreateRequest {
  image: string;
  command?: string;
  env?: Record<string, string>;
  sshKey?: string;
  sshPassword?: string;
  jupyterToken?: string;
  ports?: Record<string, string>;
  requiredPrice?: number;
  dockerhubAuth?: string;
}

export interface NewOrderParams {
  id: number;
  key: string;
  server: SimServer;
  input: CreateOrderInput;
  price: number;
  creationFee: number;
  ports: { sshPort: number; extraTcpPorts: Record<string, number>; httpPort: string | undefined };
  /** Real ms epoch. */
  now: number;
  /** Sim ms epoch. */
  simNow: number;
  provisionAt: number;
  neverUp: boolean;
  instanceId: string;
}

/** A just-created order (not yet provisioned) with its host, which starts nothing yet. */
export function newOrder(p: NewOrderParams): SimOrder {
  const { input } = p;
  return {
    id: p.id,
    key: p.key,
    keyHash: keyHash(p.key),
    serverId: p.server.id,
    type: input.type,
    currency: input.currency,
    price: p.price,
    creationFee: p.creationFee,
    spend: 0,
    mrlHours: p.server.mrl,
    image: input.image,
    command: input.command,
    env: { ...input.env },
    sshKey: input.sshKey,
    sshPassword: input.sshPassword,
    jupyterToken: input.jupyterToken,
    ports: { ...input.ports },
    requiredPrice: input.requiredPrice,
    dockerhubAuth: input.dockerhubAuth,
    sshPort: p.ports.sshPort,
    extraTcpPorts: p.ports.extraTcpPorts,
    httpPort: p.ports.httpPort,
    createdAt: p.now,
    createdAtSim: p.simNow,
    billedUntilSim: p.simNow,
    provisionAt: p.provisionAt,
    provisionedAt: undefined,
    readyAt: undefined,
    endedAt: undefined,
    endedAtSim: undefined,
    endReason: undefined,
    neverUp: p.neverUp,
    monContainer: 0,
    lastLoweredAt: undefined,
    host: new OrderHost({
      instanceId: p.instanceId,
      orderId: p.id,
      port: p.ports.sshPort,
      authorizedKey: input.sshKey,
      env: { ...input.env },
    }),
  };
}
