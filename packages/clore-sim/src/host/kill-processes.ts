import { findProcessesWithEnv, killProcessesWithEnv } from '@clore-batch/runtime';

/** The env vars every process of an order carries, so the order's end can find and kill them all. */
export const ORDER_MARKER = 'CLORE_SIM_ORDER';
export const INSTANCE_MARKER = 'CLORE_SIM_INSTANCE';

export function markerEnv(instanceId: string, orderId: number): Record<string, string> {
  return { [ORDER_MARKER]: String(orderId), [INSTANCE_MARKER]: instanceId };
}

/** Pids whose environment carries both markers (the order id and this simulator instance). */
export function findMarkedPids(instanceId: string, orderId: number): Promise<number[]> {
  return findProcessesWithEnv(markerEnv(instanceId, orderId));
}

/**
 * SIGKILL every process of an order (sshd sessions, shells, commands detached with setsid/nohup).
 * A rented container dies with its rental; so does everything an order started here.
 */
export function killOrderProcesses(instanceId: string, orderId: number): Promise<number> {
  return killProcessesWithEnv(markerEnv(instanceId, orderId));
}
