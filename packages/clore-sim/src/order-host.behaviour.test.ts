import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, generateKeyPair, type KeyPair, waitFor } from '@clore-batch/testing';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { availableServer, callApi } from '../test/sim-api';
import { it as simIt } from '../test/sim-fixture';
import { sshExec } from '../test/ssh-client';
import { namespacesWork } from './host/isolation';
import type { OrderSummary } from './orders/order-summary';
import type { SimHandle } from './start';

/** The rented servers' behaviour (clore-api.md Part A 7, 10, 12, 13) and per-order isolation, with real sshds. */
const KEY = 'key-host';
let keys: KeyPair;
let dir: string;
let keyFile: string;

beforeAll(async () => {
  keys = await generateKeyPair();
  dir = await mkdtemp(join(tmpdir(), 'clore-sim-host-test-'));
  keyFile = join(dir, 'id');
  await writeFile(keyFile, keys.privateKey, { mode: 0o600 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const it = simIt.extend('simOptions', {
  seed: 5,
  keys: [{ key: KEY }],
  limits: { generalMs: 0, createMs: 0 },
  provisioningMs: [60, 60],
});

async function createOrder(handle: SimHandle, extra: Record<string, unknown> = {}): Promise<OrderSummary> {
  const taken = handle.orders().map((o) => o.serverId);
  const res = await callApi(handle, KEY, 'create_order', {
    body: {
      renting_server: availableServer(handle, 'CLORE-Blockchain', taken),
      type: 'on-demand',
      currency: 'CLORE-Blockchain',
      image: 'cloreai/ubuntu:24.04',
      ssh_key: keys.publicKey,
      ...extra,
    },
  });
  expect(res.body).toEqual({ code: 0 });
  return handle.orders().at(-1)!;
}

const summary = (handle: SimHandle, id: number) => handle.orders().find((o) => o.id === id)!;

async function myOrder(handle: SimHandle, id: number, completed = false) {
  const res = await callApi(
    handle,
    KEY,
    'my_orders',
    completed ? { query: { return_completed: 'true' } } : {},
  );
  return (res.body.orders as Array<Record<string, unknown>>).find((o) => o.id === id);
}

/** The OpenSSH client, as a user would run it: exit code and stderr tell a refused key apart. */
function ssh(port: number, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ['-i', keyFile, '-p', String(port), '-o', 'StrictHostKeyChecking=no'];
  args.push('-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5');
  args.push('root@127.0.0.1', command);
  return new Promise((resolve) => {
    execFile('ssh', args, (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: unknown }).code ?? 255) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const usable = (handle: SimHandle, id: number) =>
  waitFor(() => summary(handle, id).sshReady, { message: `order ${id} usable` });

describe('staged readiness', () => {
  it('mon_container goes 0 (created) -> 1 (deploying) -> 2 (deployed), as my_orders shows it', async ({
    startSim,
  }) => {
    const handle = await startSim({
      orderHost: { keyRefusalAfterDeployedMs: [0, 0] },
      provisioningMs: [900, 900],
    });
    const order = await createOrder(handle);
    const seen: unknown[] = [];
    await waitFor(
      async () => {
        const value = (await myOrder(handle, order.id))?.mon_container;
        if (seen.at(-1) !== value) {
          seen.push(value);
        }
        return value === 2;
      },
      { message: 'deployed', intervalMs: 20 },
    );
    expect(seen).toEqual([0, 1, 2]);
    expect(summary(handle, order.id)).toMatchObject({ stage: 'deployed', sshReady: true });
  });

  it('the sshd refuses the order key while deploying and for a while after deployed, then accepts it', async ({
    startSim,
  }) => {
    const handle = await startSim({
      orderHost: { keyRefusalAfterDeployedMs: [1500, 1500] },
      provisioningMs: [600, 600],
    });
    const order = await createOrder(handle);
    await waitFor(async () => (await myOrder(handle, order.id))?.mon_container === 1, {
      message: 'deploying',
    });
    await waitFor(() => canConnect(order.sshPort), { message: 'sshd listening while deploying' });
    const whileDeploying = await ssh(order.sshPort, 'true');
    expect(whileDeploying.code).toBe(255);
    expect(whileDeploying.stderr).toContain('Permission denied (publickey)');

    await waitFor(async () => (await myOrder(handle, order.id))?.mon_container === 2, {
      message: 'deployed',
    });
    const deployed = summary(handle, order.id);
    expect(deployed.keyAccepted).toBe(false);
    expect(deployed.keyAcceptedFrom).toBe((deployed.readyAt ?? 0) + 1500);
    const afterDeployed = await ssh(order.sshPort, 'true');
    expect(afterDeployed.code).toBe(255);
    expect(afterDeployed.stderr).toContain('Permission denied (publickey)');
    expect(Date.now()).toBeLessThan(deployed.keyAcceptedFrom ?? 0);

    await usable(handle, order.id);
    expect(Date.now()).toBeGreaterThanOrEqual(deployed.keyAcceptedFrom ?? 0);
    expect(await ssh(order.sshPort, 'echo in')).toMatchObject({ code: 0, stdout: 'in\n' });
  });
});

describe('autossh', () => {
  it('an image without its own sshd deploys, but answers SSH only with autossh_entrypoint', async ({
    startSim,
  }) => {
    const handle = await startSim({ orderHost: { keyRefusalAfterDeployedMs: [0, 0] } });
    const plain = await createOrder(handle, { image: 'ubuntu:22.04' });
    const withAutossh = await createOrder(handle, { image: 'ubuntu:22.04', autossh_entrypoint: true });
    const asString = await createOrder(handle, { image: 'python:3.12', autossh_entrypoint: 'true' });
    await usable(handle, withAutossh.id);
    await usable(handle, asString.id);
    await waitFor(async () => (await myOrder(handle, plain.id))?.mon_container === 2, {
      message: 'deployed',
    });
    expect(await myOrder(handle, plain.id)).toMatchObject({ online: true, mon_container: 2, expired: false });
    expect(summary(handle, plain.id)).toMatchObject({
      sshAvailable: false,
      autossh: false,
      sshdRunning: false,
    });
    expect(await canConnect(plain.sshPort)).toBe(false);
    expect(summary(handle, withAutossh.id)).toMatchObject({ sshAvailable: true, autossh: true });
    expect((await sshExec(withAutossh.sshPort, keys.privateKey, 'exit 0')).code).toBe(0);
    expect((await sshExec(asString.sshPort, keys.privateKey, 'exit 0')).code).toBe(0);
  });
});

describe('ended orders and reused endpoints', () => {
  it('an ended order has no pub_cluster and empty tcp_ports but keeps online and mon_container', async ({
    startSim,
  }) => {
    const handle = await startSim({ orderHost: { keyRefusalAfterDeployedMs: [0, 0] } });
    const order = await createOrder(handle);
    await usable(handle, order.id);
    expect(await myOrder(handle, order.id)).toMatchObject({
      pub_cluster: ['127.0.0.1'],
      tcp_ports: [`22:${order.sshPort}`],
    });
    expect((await callApi(handle, KEY, 'cancel_order', { body: { id: order.id } })).body).toEqual({
      code: 0,
    });
    const ended = await myOrder(handle, order.id, true);
    expect(ended).toMatchObject({ expired: true, online: true, mon_container: 2, tcp_ports: [] });
    expect(ended).not.toHaveProperty('pub_cluster');
  });

  it('a later order may get the same port as an ended one, with a new host key', async ({ startSim }) => {
    const handle = await startSim({ orderHost: { keyRefusalAfterDeployedMs: [0, 0], portReuse: 1 } });
    const first = await createOrder(handle);
    await usable(handle, first.id);
    const firstKey = summary(handle, first.id).hostKeyFingerprint;
    expect(firstKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    await callApi(handle, KEY, 'cancel_order', { body: { id: first.id } });
    await waitFor(async () => !(await canConnect(first.sshPort)), { message: 'old sshd gone' });
    const second = await createOrder(handle);
    expect(second.sshPort).toBe(first.sshPort);
    await usable(handle, second.id);
    expect(summary(handle, second.id).hostKeyFingerprint).not.toBe(firstKey);
    expect((await sshExec(second.sshPort, keys.privateKey, 'echo $CLORE_SIM_ORDER')).stdout).toBe(
      `${second.id}\n`,
    );
  });
});

describe('isolation', () => {
  it("two orders do not see each other's /tmp and home files", async ({ startSim, skip }) => {
    if (!(await namespacesWork())) {
      skip();
    }
    const handle = await startSim({
      orderHost: { keyRefusalAfterDeployedMs: [0, 0], isolation: 'namespace' },
    });
    const marker = `clore-sim-iso-${process.pid}-${Date.now()}`;
    const a = await createOrder(handle, { command: `echo from-command > /tmp/${marker}.cmd` });
    const b = await createOrder(handle);
    await usable(handle, a.id);
    await usable(handle, b.id);
    const wrote = await sshExec(
      a.sshPort,
      keys.privateKey,
      `echo secret > /tmp/${marker}; echo mine > ~/${marker}; echo "$HOME"; cat /tmp/${marker}.cmd`,
    );
    expect(wrote).toMatchObject({ code: 0, stdout: '/root\nfrom-command\n' });
    const other = await sshExec(
      b.sshPort,
      keys.privateKey,
      `ls /tmp/${marker} /tmp/${marker}.cmd ~/${marker} /root/${marker} 2>&1; echo "$HOME"`,
    );
    expect(other.stdout.match(/No such file/g)).toHaveLength(4);
    expect(other.stdout).toMatch(/\/root\n$/);
    // Nor does this machine: the files are in order A's own directories.
    expect(await canRead(`/tmp/${marker}`)).toBe(false);
    const paths = summary(handle, a.id);
    expect(paths.isolation).toBe('namespace');
    expect(await canRead(join(paths.tmpDir ?? '', marker))).toBe(true);
    expect(await canRead(join(paths.homeDir ?? '', marker))).toBe(true);
  });
});

async function canRead(path: string): Promise<boolean> {
  const { access } = await import('node:fs/promises');
  return access(path).then(
    () => true,
    () => false,
  );
}
