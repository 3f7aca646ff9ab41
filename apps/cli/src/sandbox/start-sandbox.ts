import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SimHandle, startSimulator } from '@clore-batch/clore-sim';
import { freePort, SSHD_PATH } from '@clore-batch/runtime';
import { chooseRedis, type SandboxRedis } from './choose-redis';
import { type ServiceProcess, startService } from './service-process';

/** The repo root (apps/cli/src/sandbox → ../../../..). The apps are run from there with tsx. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface SandboxOptions {
  /** Wanted API port (default PORT or 8080); a free one is used when it is taken. 0 = any free port. */
  port?: number;
  /** Redis to use when it answers PING (default none: spawn one). */
  redisUrl?: string;
  /** Set: talk to the real Clore API with this key (no simulator). */
  realClore?: { apiKey: string; apiUrl: string };
  /** Simulator: real ms from create to running (default 2-5 s, like a real server coming up). */
  provisioningMs?: [number, number];
  /** Simulator limits (default the real 1 s / 5 s) and the apps' limiter spacing to match them. */
  simLimits?: { generalMs: number; createMs: number };
  /** Extra environment for the API and the worker (e.g. shorter poll intervals in tests). */
  appEnv?: Record<string, string>;
  /** Progress lines while starting. */
  log?: (line: string) => void;
  /** Abort the start (Ctrl-C while starting): what was started is stopped, then it rejects. */
  signal?: AbortSignal;
}

export interface Sandbox {
  /** The API, e.g. http://127.0.0.1:8080 */
  url: string;
  /** An admin token for the API (the dashboard needs admin). */
  token: string;
  redis: { url: string; via: SandboxRedis['via']; prefix: string };
  /** The simulator's URL (absent with the real Clore API). */
  simUrl: string | undefined;
  sim: SimHandle | undefined;
  /**
   * How the simulator keeps rented servers apart: `namespace` (each order's own /root and /tmp) or
   * `home-only` (only HOME differs); absent with the real Clore API.
   */
  simIsolation: 'namespace' | 'home-only' | undefined;
  dataDir: string;
  logFiles: { api: string; worker: string };
  /** Process ids of the API and worker (each leads its own process group). */
  pids: number[];
  /** Stop worker, API, simulator (every sshd and order process), Redis if spawned; remove the data dir. */
  stop(): Promise<void>;
}

/**
 * The whole system on one machine: Redis, the Clore simulator with real sshd hosts (unless
 * `realClore`), the API and a worker as child processes. If anything fails to start, what was
 * started is stopped again before the error is thrown.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch(() => {});
    }
  };
  try {
    await preflight(options);
    const dataDir = await mkdtemp(join(tmpdir(), 'clore-batch-sandbox-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

    const aborted = () => {
      if (options.signal?.aborted) {
        throw new Error('interrupted while starting');
      }
    };
    const redis = await chooseRedis(options.redisUrl);
    cleanups.push(() => redis.stop());
    log(
      redis.via === 'given' ? `redis: ${redis.url} (prefix ${redis.prefix})` : `redis: started ${redis.url}`,
    );

    const cloreKey = options.realClore?.apiKey ?? `sandbox-${randomBytes(12).toString('hex')}`;
    let sim: SimHandle | undefined;
    let simIsolation: Sandbox['simIsolation'];
    if (!options.realClore) {
      sim = await startSimulator({
        keys: [{ key: cloreKey }],
        limits: options.simLimits ?? { generalMs: 1_000, createMs: 5_000 },
        provisioningMs: options.provisioningMs ?? [2_000, 5_000],
        // Realistic rented servers: a deploying stage, the key refused for a moment after deployed,
        // SSH on images without sshd only with autossh_entrypoint (the worker sends it).
      });
      const simHandle = sim;
      cleanups.push(() => simHandle.close());
      log(`simulator: ${sim.url} (${sim.sim.servers.size} servers)`);
      simIsolation = await sim.sim.isolation().catch(() => 'home-only' as const);
    }
    aborted();

    const port = await pickPort(options.port ?? 8080);
    const token = `sandbox-${randomBytes(18).toString('hex')}`;
    const url = `http://127.0.0.1:${port}`;
    const env = appEnv({ options, redis, sim, cloreKey, token, port, dataDir });
    const logFiles = { api: join(dataDir, 'api.log'), worker: join(dataDir, 'worker.log') };

    const api = startService({
      name: 'api',
      entry: 'apps/api/src/main.ts',
      cwd: REPO_ROOT,
      env,
      logFile: logFiles.api,
    });
    cleanups.push(() => api.stop());
    const worker = startService({
      name: 'worker',
      entry: 'apps/worker/src/main.ts',
      cwd: REPO_ROOT,
      env,
      logFile: logFiles.worker,
    });
    cleanups.push(() => worker.stop());
    await waitUntilReady(url, token, [api, worker], options.signal);
    log(`api: ${url} (pid ${api.child.pid}); worker: pid ${worker.child.pid}`);

    let stopping: Promise<void> | undefined;
    return {
      url,
      token,
      redis: { url: redis.url, via: redis.via, prefix: redis.prefix },
      simUrl: sim?.url,
      sim,
      simIsolation,
      dataDir,
      logFiles,
      pids: [api.child.pid, worker.child.pid].filter((pid): pid is number => pid !== undefined),
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** What the sandbox needs from the machine, with the command that installs it when missing. */
async function preflight(options: SandboxOptions): Promise<void> {
  const missing: string[] = [];
  if (!options.realClore && !(await isExecutable(SSHD_PATH))) {
    missing.push(`OpenSSH server (${SSHD_PATH}, the simulated servers)`);
  }
  const onPath = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'redis-server'));
  const hasRedis = (await Promise.all(onPath.map(isExecutable))).some(Boolean);
  if (!hasRedis && !options.redisUrl) {
    missing.push('redis-server (no REDIS_URL given)');
  }
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.join(' and ')}: run \`bash scripts/bootstrap.sh\` (apt-get install redis-server openssh-server)`,
    );
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, 1); // X_OK
    return true;
  } catch {
    return false;
  }
}

function appEnv(input: {
  options: SandboxOptions;
  redis: SandboxRedis;
  sim: SimHandle | undefined;
  cloreKey: string;
  token: string;
  port: number;
  dataDir: string;
}): NodeJS.ProcessEnv {
  const { options, redis, sim } = input;
  const limits = options.simLimits;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    NODE_ENV: 'development',
    DATA_DIR: input.dataDir,
    SECRETS_KEY: randomBytes(32).toString('hex'),
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    CLORE_API_URL: sim?.url ?? options.realClore?.apiUrl,
    CLORE_API_KEY: input.cloreKey,
    HOST: '127.0.0.1',
    PORT: String(input.port),
    API_TOKENS: `sandbox:admin:${input.token}`,
    // The limiter keeps a margin over the simulator's limits, as over the real ones (1.1 s / 5.2 s).
    ...(limits
      ? {
          CLORE_GENERAL_SPACING_MS: String(Math.ceil(limits.generalMs * 1.1)),
          CLORE_CREATE_SPACING_MS: String(Math.ceil(limits.createMs * 1.04)),
        }
      : {}),
    ...options.appEnv,
  };
}

/** `wanted` when it is free on 127.0.0.1 (0: any), else a free port. */
async function pickPort(wanted: number): Promise<number> {
  if (wanted === 0) {
    return freePort();
  }
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(wanted, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  return free ? wanted : freePort();
}

/** Until the API's /readyz answers 200; fails at once when an app exits, with the end of its log. */
async function waitUntilReady(
  url: string,
  token: string,
  services: ServiceProcess[],
  signal: AbortSignal | undefined,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) {
      throw new Error('interrupted while starting');
    }
    for (const service of services) {
      if (service.child.exitCode !== null || service.child.signalCode !== null) {
        throw new Error(`the ${service.name} exited while starting (${service.logFile}):\n${service.tail()}`);
      }
    }
    try {
      const response = await fetch(`${url}/readyz`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(2_000),
      });
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the API did not become ready at ${url} within ${timeoutMs / 1000} s:\n${services[0]?.tail()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
