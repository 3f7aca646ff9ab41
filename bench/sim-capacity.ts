/**
 * How many concurrently active orders the simulator holds, each with its own sshd answering a key
 * login, and what that costs in memory. Run:
 *   pnpm --filter @clore-batch/bench exec tsx sim-capacity.ts [orders=100] [more targets...]
 * Prints one JSON line per target. Bounded: at most the given targets, each closed before the next.
 */
import { readFile } from 'node:fs/promises';
import { startSimulator } from '@clore-batch/clore-sim';
import { generateKeyPair, waitFor } from '@clore-batch/testing';
import { sshExec } from './baseline/ssh-exec';

const KEY = 'bench-key';

async function statusKb(pid: number, field: string, file = 'status'): Promise<number> {
  try {
    const text = await readFile(`/proc/${pid}/${file}`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

async function sshExit(port: number, privateKey: string, command: string): Promise<number | null> {
  const { exitCode } = await sshExec({ host: '127.0.0.1', port, user: 'root' }, privateKey, command);
  return exitCode;
}

async function measure(target: number): Promise<Record<string, unknown>> {
  const keys = await generateKeyPair('bench');
  const sim = await startSimulator({
    seed: 42,
    servers: Math.ceil(target * 1.6) + 20,
    keys: [{ key: KEY, balances: { 'CLORE-Blockchain': 1e12 } }],
    limits: { generalMs: 0, createMs: 0 },
    provisioningMs: [100, 1000],
    // The key is accepted as soon as an order is deployed; SIM_ISOLATION=none|namespace compares the
    // cost of a mount namespace per order (default auto: namespace where the machine allows it).
    orderHost: {
      keyRefusalAfterDeployedMs: [0, 0],
      isolation: (process.env.SIM_ISOLATION ?? 'auto') as 'auto' | 'namespace' | 'none',
    },
  });
  try {
    const rssBefore = process.memoryUsage().rss;
    const free = [...sim.sim.servers.values()].filter(
      (s) => s.online && !s.gigaspot && !s.rentedExternally && s.allowedCoins.includes('CLORE-Blockchain'),
    );
    if (free.length < target) {
      throw new Error(`only ${free.length} rentable servers for ${target} orders`);
    }
    const started = Date.now();
    for (const server of free.slice(0, target)) {
      const res = await fetch(`${sim.url}/v1/create_order`, {
        method: 'POST',
        headers: { auth: KEY, 'content-type': 'application/json' },
        body: JSON.stringify({
          renting_server: server.id,
          type: 'on-demand',
          currency: 'CLORE-Blockchain',
          image: 'bench',
          autossh_entrypoint: true,
          ssh_key: keys.publicKey,
          env: { BENCH: '1' },
        }),
      });
      const body = (await res.json()) as { code: number };
      if (body.code !== 0) {
        throw new Error(`create_order answered ${JSON.stringify(body)}`);
      }
    }
    const createdMs = Date.now() - started;
    await waitFor(() => sim.orders().filter((o) => o.sshReady).length === target, {
      timeoutMs: 120_000,
      intervalMs: 100,
      message: `${target} sshds running`,
    });
    const readyMs = Date.now() - started;
    // Every sshd answers a key login and runs a command with the order's env.
    const loginStarted = Date.now();
    const orders = sim.orders();
    let ok = 0;
    for (let i = 0; i < orders.length; i += 10) {
      const codes = await Promise.all(
        orders
          .slice(i, i + 10)
          .map((o) => sshExit(o.sshPort, keys.privateKey, 'test "$BENCH" = 1 && exit 7')),
      );
      ok += codes.filter((c) => c === 7).length;
    }
    const loginMs = Date.now() - loginStarted;
    const pids = [...sim.sim.orders.values()]
      .map((o) => o.host.sshdPid)
      .filter((p): p is number => p !== undefined);
    let sshdRssKb = 0;
    let sshdPssKb = 0;
    for (const pid of pids) {
      sshdRssKb += await statusKb(pid, 'VmRSS');
      sshdPssKb += await statusKb(pid, 'Pss', 'smaps_rollup');
    }
    const simRss = process.memoryUsage().rss;
    const activeOrders = sim.orders().filter((o) => o.active).length;
    const closeStarted = Date.now();
    await sim.close();
    const closeMs = Date.now() - closeStarted;
    return {
      target,
      isolation: await sim.sim.isolation(),
      activeOrders,
      sshdsRunning: pids.length,
      loginsOk: ok,
      createMs: createdMs,
      allReadyMs: readyMs,
      loginAllMs: loginMs,
      closeMs,
      simRssMb: Math.round(simRss / 1048576),
      simRssGrowthMb: Math.round((simRss - rssBefore) / 1048576),
      sshdRssTotalMb: Math.round(sshdRssKb / 1024),
      sshdPssTotalMb: Math.round(sshdPssKb / 1024),
      sshdRssEachKb: pids.length ? Math.round(sshdRssKb / pids.length) : 0,
    };
  } finally {
    await sim.close();
  }
}

const targets = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
for (const target of targets.length > 0 ? targets : [100]) {
  process.stdout.write(`${JSON.stringify(await measure(target))}\n`);
}
