import { keyHash } from '../key-hash';
import type { SimOrder } from './order';
import { isActive } from './order';

/**
 * An order as `/_sim/orders` shows it: everything but secrets (no ssh_password, no env values).
 * Fields that do not apply yet (endedAt, endReason, ...) are left out, not null.
 */
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
    provisionedAt: order.provisionedAt,
    readyAt: order.readyAt,
    endedAt: order.endedAt,
    endedAtSim: order.endedAtSim,
    active: isActive(order),
    endReason: order.endReason,
    monContainer: order.monContainer,
    neverUp: order.neverUp,
    sshdRunning: order.host.sshdRunning,
    sshPort: order.sshPort,
    hostPublicKey: order.host.hostPublicKey,
    image: order.image,
    command: order.command,
    /** The startup command's exit code once it exited normally; `commandSignal` if a signal ended it. */
    commandExitCode: order.host.commandResult?.exitCode ?? undefined,
    commandSignal: order.host.commandResult?.signal ?? undefined,
    envKeys: Object.keys(order.env),
    hasSshKey: order.sshKey !== undefined,
    hasSshPassword: order.sshPassword !== undefined,
    /** `set` when create_order had `dockerhub_auth`; its value is never shown, only a hash. */
    dockerhubAuth: order.dockerhubAuth === undefined ? undefined : ('set' as const),
    dockerhubAuthHash: order.dockerhubAuth === undefined ? undefined : keyHash(order.dockerhubAuth),
    requiredPrice: order.requiredPrice,
    mrlHours: order.mrlHours,
  };
}

export type OrderSummary = ReturnType<typeof orderSummary>;
