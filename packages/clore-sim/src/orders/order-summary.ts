import type { SimOrder } from './order';
import { isActive } from './order';

/** An order as `/_sim/orders` shows it: everything but secrets (no ssh_password, no env values). */
export function orderSummary(order: SimOrder) {
  return {
    id: order.id,
    keyHash: order.keyHash,
    serverId: order.serverId,
    type: order.type,
    currency: order.currency,
    price: order.price,
    creationFee: order.creationFee,
    spend: order.spend,
    createdAt: order.createdAt,
    createdAtSim: order.createdAtSim,
    provisionAt: order.provisionAt,
    provisionedAt: order.provisionedAt ?? null,
    readyAt: order.readyAt ?? null,
    endedAt: order.endedAt ?? null,
    endedAtSim: order.endedAtSim ?? null,
    active: isActive(order),
    endReason: order.endReason ?? null,
    monContainer: order.monContainer,
    neverUp: order.neverUp,
    sshdRunning: order.host.sshdRunning,
    sshPort: order.sshPort,
    hostPublicKey: order.host.hostPublicKey ?? null,
    image: order.image,
    command: order.command ?? null,
    commandExitCode: order.host.commandResult?.exitCode ?? null,
    envKeys: Object.keys(order.env),
    hasSshKey: order.sshKey !== undefined,
    hasSshPassword: order.sshPassword !== undefined,
    mrlHours: order.mrlHours,
  };
}

export type OrderSummary = ReturnType<typeof orderSummary>;
