// The Docker image's install, reproduced without Docker (`node scripts/check-prod-deps.mjs --install`):
// `pnpm build`, then `pnpm deploy --prod` of the api and the worker into a temp directory, as the
// Dockerfile does. Fails when a deployed node_modules holds a test or build tool, or when
// `node dist/main.js` of either does not start against a spawned redis-server: the api must answer
// /healthz and serve the dashboard's login page, the worker log "worker started" and pass its
// container health check.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Packages a production image must not contain (node_modules/.pnpm entry names start with these). */
const FORBIDDEN = [
  '@clore-batch+testing',
  '@clore-batch+bench',
  'vitest',
  '@vitest+',
  'tsx@',
  'testcontainers',
  '@testcontainers+',
  'typescript@',
  'esbuild@',
  '@esbuild+',
  '@biomejs+',
  'turbo@',
  'playwright-core',
];
/** The deployable apps: package name, directory name under the deploy root. */
export const APPS = [
  { name: '@clore-batch/api', dir: 'api' },
  { name: '@clore-batch/worker', dir: 'worker' },
];
const START_TIMEOUT_MS = 30_000;

function run(root, command, args) {
  execFileSync(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** `pnpm build`, then every app deployed with production dependencies only under `outDir`. */
export function buildAndDeploy(root, outDir) {
  run(root, 'pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
  for (const app of APPS) {
    run(root, 'pnpm', ['deploy', '--prod', '--filter', app.name, join(outDir, app.dir)]);
  }
}

/** The forbidden packages installed in a deployed app's node_modules. */
export function forbiddenPackages(appDir) {
  const store = join(appDir, 'node_modules', '.pnpm');
  const names = existsSync(store) ? readdirSync(store) : [];
  return names.filter((name) => FORBIDDEN.some((prefix) => name.startsWith(prefix)));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `check` returns true (polled every 25 ms); rejects after `timeoutMs` with `what`. */
export async function waitFor(check, what, timeoutMs = START_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function redisAnswers(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('error', () => resolve(false));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/** A private redis-server on a free port; `stop()` ends it. */
export async function spawnRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'prod-install-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  await waitFor(() => redisAnswers(port), `redis-server on port ${port}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The environment an app needs to start; nothing reaches beyond loopback (Clore: a closed port). */
export function appEnv(redisUrl, dataDir, port) {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: 'prodcheck',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    SECRETS_KEY: 'prod-install-check-secrets-key-0123456789abcdef',
    API_TOKENS: 'check:admin:prod-install-check-token',
    CLORE_API_KEY: 'prod-install-check-placeholder',
    CLORE_API_URL: 'http://127.0.0.1:9',
  };
}

/** `node <args>` in `cwd`; `output()` is what it printed so far (stdout and stderr). */
export function startNode(args, cwd, env) {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (chunk) => {
    text += chunk;
  });
  child.stderr.on('data', (chunk) => {
    text += chunk;
  });
  return { child, output: () => text };
}

export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function healthz(url) {
  try {
    return (await fetch(`${url}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

/** The deployed worker's container health check: its exit code and output. */
async function workerHealth(outDir, env) {
  const check = startNode(['dist/healthcheck.js'], join(outDir, 'worker'), env);
  const code = await new Promise((resolve) => check.child.once('exit', resolve));
  return { code, output: check.output().trim() };
}

/** Starts both deployed apps, checks they come up, stops them. Throws with their output on failure. */
async function startDeployed(outDir) {
  const redis = await spawnRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'prod-install-data-'));
  const port = await freePort();
  const env = appEnv(redis.url, dataDir, port);
  const api = startNode(['dist/main.js'], join(outDir, 'api'), env);
  const worker = startNode(['dist/main.js'], join(outDir, 'worker'), env);
  const alive = (name, app) => {
    if (app.child.exitCode !== null) {
      throw new Error(`${name} exited with ${app.child.exitCode}:\n${app.output()}`);
    }
  };
  try {
    await waitFor(() => {
      alive('api', api);
      return healthz(`http://127.0.0.1:${port}`);
    }, 'the api to answer /healthz');
    // The dashboard's pages are files beside the bundle (scripts/bundle.mjs copies them).
    const login = await fetch(`http://127.0.0.1:${port}/admin/login`);
    if (login.status !== 200 || !(await login.text()).includes('<form')) {
      throw new Error(`the api's /admin/login answered ${login.status}, not the login page`);
    }
    await waitFor(() => {
      alive('worker', worker);
      return worker.output().includes('"worker started"');
    }, 'the worker to log "worker started"');
    // The health check sees every connection of the network namespace: with the api stopped, the
    // worker's is the only one to this Redis; it must pass now and fail once the worker is gone.
    await stopProcess(api.child);
    const healthy = await workerHealth(outDir, env);
    await stopProcess(worker.child);
    const gone = await workerHealth(outDir, env);
    if (healthy.code !== 0 || gone.code === 0) {
      throw new Error(
        `the worker's health check answered ${healthy.code} with the worker running (${healthy.output}), ${gone.code} without`,
      );
    }
  } catch (error) {
    error.message += `\n--- api output:\n${api.output()}\n--- worker output:\n${worker.output()}`;
    throw error;
  } finally {
    await Promise.all([stopProcess(api.child), stopProcess(worker.child)]);
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The whole check; returns the problems found (empty: passed). */
export async function checkProdInstall(root) {
  const started = Date.now();
  const outDir = mkdtempSync(join(tmpdir(), 'prod-install-'));
  try {
    buildAndDeploy(root, outDir);
    const problems = APPS.flatMap((app) =>
      forbiddenPackages(join(outDir, app.dir)).map(
        (name) => `${app.name}: the production install contains ${name}`,
      ),
    );
    if (problems.length === 0) {
      await startDeployed(outDir);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`check-prod-deps: built, deployed (--prod), started api + worker: ${seconds} s\n`);
    }
    return problems;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
