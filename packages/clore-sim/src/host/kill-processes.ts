import { readEnvirons } from './proc-table';

/** The env vars every process of an order carries, so the order's end can find and kill them all. */
export const ORDER_MARKER = 'CLORE_SIM_ORDER';
export const INSTANCE_MARKER = 'CLORE_SIM_INSTANCE';

export function markerEnv(instanceId: string, orderId: number): Record<string, string> {
  return { [ORDER_MARKER]: String(orderId), [INSTANCE_MARKER]: instanceId };
}

/** Pids whose environment carries both markers (the order id and this simulator instance). */
export async function findMarkedPids(instanceId: string, orderId: number): Promise<number[]> {
  const wantOrder = `\0${ORDER_MARKER}=${orderId}\0`;
  const wantInstance = `\0${INSTANCE_MARKER}=${instanceId}\0`;
  const found: number[] = [];
  for (const [pid, environ] of await readEnvirons()) {
    if (environ.includes(wantOrder) && environ.includes(wantInstance)) {
      found.push(pid);
    }
  }
  return found;
}

/**
 * SIGKILL every process of an order (sshd sessions, shells, commands detached with setsid/nohup),
 * found by its environment markers, until none is left (bounded rounds: a process may fork while we
 * scan). A rented container dies with its rental; so does everything an order started here.
 */
export async function killOrderProcesses(instanceId: string, orderId: number): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 10; round += 1) {
    const found = await findMarkedPids(instanceId, orderId);
    if (found.length === 0) {
      return killed;
    }
    for (const pid of found) {
      try {
        process.kill(pid, 'SIGKILL');
        killed += 1;
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return killed;
}
