import { join } from 'node:path';
import { canConnect, generateKeyPair, type KeyPair, waitFor } from '@clore-batch/testing';
import { beforeAll, describe, expect } from 'vitest';
import { availableServer, callApi, simSend } from '../test/sim-api';
import { it as simIt } from '../test/sim-fixture';
import { connectSsh, exec, sshExec } from '../test/ssh-client';
import { findMarkedPids } from './host/kill-processes';
import type { SimHandle } from './start';

const KEY = 'key-sshd';
let keys: KeyPair;
let stranger: KeyPair;

beforeAll(async () => {
  [keys, stranger] = await Promise.all([generateKeyPair(), generateKeyPair()]);
});

const it = simIt.extend('simOptions', {
  seed: 9,
  keys: [{ key: KEY }],
  limits: { generalMs: 0, createMs: 0 },
  provisioningMs: [30, 60],
  // These tests are about the sshd itself: the key is accepted as soon as the order is deployed
  // (the refusal window has its own tests in order-host.behaviour.test.ts).
  orderHost: { keyRefusalAfterDeployedMs: [0, 0] },
});

async function createOrder(handle: SimHandle, extra: Record<string, unknown> = {}) {
  const res = await callApi(handle, KEY, 'create_order', {
    body: {
      renting_server: availableServer(handle),
      type: 'on-demand',
      currency: 'CLORE-Blockchain',
      image: 'cloreai/ubuntu:24.04',
      ssh_key: keys.publicKey,
      ssh_password: 'never-shown-password',
      env: { JOB_TOKEN: 'tok en "q" \\ $HOME `x`', OTHER: 'x' },
      ...extra,
    },
  });
  expect(res.body).toEqual({ code: 0 });
  return handle.orders().at(-1)!;
}

const ready = (handle: SimHandle, id: number) =>
  waitFor(() => handle.orders().find((o) => o.id === id && o.sshReady), {
    message: `order ${id} ready`,
  });

describe('per-order sshd', () => {
  it('refuses connections before the order is provisioned, accepts them after', async ({ startSim }) => {
    const handle = await startSim({ provisioningMs: [1500, 1500] });
    const order = await createOrder(handle);
    expect(await canConnect(order.sshPort)).toBe(false);
    expect(handle.orders()[0]!.monContainer).toBe(0);
    await ready(handle, order.id);
    expect(await canConnect(order.sshPort)).toBe(true);
    expect(handle.orders()[0]!.hostPublicKey).toMatch(/^ssh-ed25519 /);
  });

  it("a login with the order's key runs a command with the order's env and returns its exit code", async ({
    startSim,
  }) => {
    const handle = await startSim();
    const order = await createOrder(handle);
    await ready(handle, order.id);
    const result = await sshExec(
      order.sshPort,
      keys.privateKey,
      'echo "$JOB_TOKEN|$OTHER|$CLORE_SIM_ORDER"; echo "oops $HOME" >&2; exit 3',
    );
    // Values arrive verbatim (quotes, backslashes, $ and backticks are not interpreted).
    expect(result).toMatchObject({ stdout: `tok en "q" \\ $HOME \`x\`|x|${order.id}\n`, code: 3 });
    // Each order has its own HOME, as a container has its own /root (in its own mount namespace
    // where this machine allows it, else a directory of its own).
    const { isolation, homeDir } = handle.orders()[0]!;
    expect(result.stderr).toBe(`oops ${isolation === 'namespace' ? '/root' : homeDir}\n`);
    await expect(sshExec(order.sshPort, stranger.privateKey, 'true')).rejects.toThrow(/authentication/i);
  });

  it("serves SFTP, so a client can collect files from the order's host", async ({ startSim }) => {
    const handle = await startSim();
    const order = await createOrder(handle);
    await ready(handle, order.id);
    const client = await connectSsh(order.sshPort, keys.privateKey);
    try {
      const home = (await exec(client, 'echo -n "$HOME"; printf result > "$HOME/out.txt"')).stdout;
      const content = await new Promise<string>((resolve, reject) => {
        client.sftp((error, sftp) => {
          if (error) {
            reject(error);
            return;
          }
          sftp.readFile(`${home}/out.txt`, (readError, data) =>
            readError ? reject(readError) : resolve(data.toString()),
          );
        });
      });
      expect(content).toBe('result');
    } finally {
      client.end();
    }
  });

  it('the connection drops when the order is cancelled, and every process of the order is killed', async ({
    startSim,
  }) => {
    const handle = await startSim();
    const order = await createOrder(handle);
    await ready(handle, order.id);
    const client = await connectSsh(order.sshPort, keys.privateKey);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await exec(client, 'setsid nohup sleep 600 >/dev/null 2>&1 < /dev/null & echo started');
    client.exec('sleep 600', () => {});
    const instance = handle.sim.options.instanceId;
    await waitFor(async () => (await findMarkedPids(instance, order.id)).length >= 2, {
      message: 'session processes',
    });
    expect((await callApi(handle, KEY, 'cancel_order', { body: { id: order.id } })).body).toEqual({
      code: 0,
    });
    await closed;
    await waitFor(async () => (await findMarkedPids(instance, order.id)).length === 0, {
      message: 'no process left',
    });
    await waitFor(() => handle.orders()[0]!.sshdRunning === false, { message: 'sshd stopped' });
    expect(await canConnect(order.sshPort)).toBe(false);
    const summary = await (await fetch(`${handle.url}/_sim/orders`)).text();
    expect(summary).not.toContain('never-shown-password');
    expect(summary).not.toContain('tok en');
  });

  it("runs the order's startup command with its env and records the exit code", async ({ startSim }) => {
    const handle = await startSim();
    const order = await createOrder(handle, {
      command: 'echo "$OTHER-$CLORE_SIM_ORDER" > "$HOME/started"; exit 4',
    });
    await waitFor(() => handle.orders()[0]!.commandExitCode === 4, { message: 'startup command exit code' });
    const { readFile } = await import('node:fs/promises');
    // It ran in the order's home (the order's /root), which is this directory on this machine.
    expect(await readFile(join(handle.orders()[0]!.homeDir ?? '', 'started'), 'utf8')).toBe(
      `x-${order.id}\n`,
    );
    expect(handle.orders()[0]!.command).toContain('exit 4');
  });

  it('/_sim/orders/:id/stop-sshd drops connections but leaves the order active', async ({ startSim }) => {
    const handle = await startSim();
    const order = await createOrder(handle);
    await ready(handle, order.id);
    const client = await connectSsh(order.sshPort, keys.privateKey);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.exec('sleep 600', () => {});
    await waitFor(async () => (await findMarkedPids(handle.sim.options.instanceId, order.id)).length >= 1, {
      message: 'session command running',
    });
    const res = await simSend(handle, 'POST', `/_sim/orders/${order.id}/stop-sshd`);
    expect(res.status).toBe(200);
    await closed;
    expect(await canConnect(order.sshPort)).toBe(false);
    expect(handle.orders()[0]).toMatchObject({ active: true, sshdRunning: false, monContainer: 2 });
  });

  it('with sshRefuseMs the order shows deployed but SSH refuses connections for that long', async ({
    startSim,
  }) => {
    const handle = await startSim({ faults: { sshRefuseMs: 1500 } });
    const order = await createOrder(handle);
    await waitFor(() => handle.orders()[0]!.monContainer === 2, { message: 'mon_container 2' });
    expect(await canConnect(order.sshPort)).toBe(false);
    await ready(handle, order.id);
    const refusedFor = handle.orders()[0]!;
    expect(refusedFor.sshdRunning).toBe(true);
    expect((await sshExec(order.sshPort, keys.privateKey, 'exit 0')).code).toBe(0);
  });

  it('close() stops every sshd and kills every process of every order', async ({ startSim }) => {
    const handle = await startSim();
    const orders: Awaited<ReturnType<typeof createOrder>>[] = [];
    for (let i = 0; i < 3; i += 1) {
      orders.push(await createOrder(handle, { command: 'sleep 600' }));
    }
    for (const o of orders) {
      await ready(handle, o.id);
    }
    const instance = handle.sim.options.instanceId;
    await waitFor(async () => (await findMarkedPids(instance, orders[2]!.id)).length >= 1, {
      message: 'startup command running',
    });
    await handle.close();
    for (const o of orders) {
      expect(await findMarkedPids(instance, o.id)).toEqual([]);
      expect(await canConnect(o.sshPort)).toBe(false);
    }
  });
});
