// The Docker images' install, reproduced without Docker (`node scripts/check-prod-deps.mjs --install`):
// `pnpm build`, then `pnpm deploy --prod` of the api, the worker and the simulator into a temp
// directory, as the Dockerfile does. Fails when a deployed node_modules holds a test or build tool,
// or when the deployed compiled apps do not work: against a spawned redis-server and the deployed
// simulator, the api must answer /healthz and serve the dashboard's login page, the worker log
// "worker started", a submitted job must run on a simulated server and succeed with its log, and the
// worker's container health check must pass with the worker running and fail without it.
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
/** The deployed packages (the Dockerfile's targets): package name, directory under the deploy root. */
const DEPLOYED = [
  { name: '@clore-batch/api', dir: 'api' },
  { name: '@clore-batch/worker', dir: 'worker' },
  { name: '@clore-batch/clore-sim', dir: 'sim' },
];
/** The simulator at test speed: limits, provisioning and the key's refusal window in tens of ms. */
const SIM_FLAGS = [
  '--general-ms',
  '50',
  '--create-ms',
  '100',
  '--provisioning',
  '200-400',
  '--key-refusal',
  '50-100',
];
const TOKEN = 'prod-install-check-token';
const START_TIMEOUT_MS = 30_000;

function run(root, command, args) {
  execFileSync(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** `pnpm build`, then every deployed package with production dependencies only under `outDir`. */
function buildAndDeploy(root, outDir) {
  run(root, 'pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
  for (const app of DEPLOYED) {
    run(root, 'pnpm', ['deploy', '--prod', '--filter', app.name, join(outDir, app.dir)]);
  }
}

/** The forbidden packages installed in a deployed app's node_modules. */
function forbiddenPackages(appDir) {
  const store = join(appDir, 'node_modules', '.pnpm');
  const names = existsSync(store) ? readdirSync(store) : [];
  return names.filter((name) => FORBIDDEN.some((prefix) => name.startsWith(prefix)));
}

function freePort() {
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
async function waitFor(check, what, timeoutMs = START_TIMEOUT_MS) {
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
async function spawnRedis() {
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

/** The apps' environment: loopback only, Clore is the deployed simulator, polls at test speed. */
function appEnv({ redisUrl, simUrl, dataDir, port }) {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: 'prodcheck',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    SECRETS_KEY: 'prod-install-check-secrets-key-0123456789abcdef',
    API_TOKENS: `check:admin:${TOKEN}`,
    CLORE_API_KEY: 'sim-key',
    CLORE_API_URL: simUrl,
    CLORE_GENERAL_SPACING_MS: '60',
    CLORE_CREATE_SPACING_MS: '120',
    ORDER_POLL_INTERVAL_MS: '300',
  };
}

/** `node <args>` in `cwd`; `output()` is what it printed so far (stdout and stderr). */
function startNode(args, cwd, env) {
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

async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function healthz(url) {
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

/** Submits a job and waits for it to end; returns the ended job and its log. */
async function runJob(apiUrl) {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const submitted = await fetch(`${apiUrl}/v1/jobs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      gpu: { model: 'RTX 3090' },
      image: 'ubuntu:22.04',
      command: 'echo compiled-and-deployed',
      maxPricePerHourUsd: 50,
      budgetUsd: 1,
    }),
  });
  if (submitted.status !== 201) {
    throw new Error(`submit answered ${submitted.status}: ${await submitted.text()}`);
  }
  const { id } = await submitted.json();
  let job;
  await waitFor(
    async () => {
      job = await (await fetch(`${apiUrl}/v1/jobs/${id}`, { headers })).json();
      return ['succeeded', 'failed', 'cancelled'].includes(job.state);
    },
    `job ${id} to end`,
    60_000,
  );
  const log = await (await fetch(`${apiUrl}/v1/jobs/${id}/logs`, { headers })).text();
  return { job, log };
}

/** Runs the deployed apps and simulator, checks they work, stops them. Throws with their output. */
async function startDeployed(outDir) {
  const redis = await spawnRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'prod-install-data-'));
  const simPort = await freePort();
  const sim = startNode(['dist/bin.js', '--port', String(simPort), ...SIM_FLAGS], join(outDir, 'sim'), {
    PATH: process.env.PATH ?? '',
  });
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const env = appEnv({ redisUrl: redis.url, simUrl: `http://127.0.0.1:${simPort}`, dataDir, port });
  const processes = { sim };
  const alive = (name) => {
    const { child, output } = processes[name];
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode}:\n${output()}`);
    }
  };
  try {
    await waitFor(() => {
      alive('sim');
      return sim.output().includes('clore-sim listening');
    }, 'the simulator to listen');
    processes.api = startNode(['dist/main.js'], join(outDir, 'api'), env);
    processes.worker = startNode(['dist/main.js'], join(outDir, 'worker'), env);
    await waitFor(() => {
      alive('api');
      return healthz(apiUrl);
    }, 'the api to answer /healthz');
    // The dashboard's pages are files beside the bundle (scripts/bundle.mjs copies them).
    const login = await fetch(`${apiUrl}/admin/login`);
    if (login.status !== 200 || !(await login.text()).includes('<form')) {
      throw new Error(`the api's /admin/login answered ${login.status}, not the login page`);
    }
    // The chart library is served from the deployed node_modules (uplot is a production dependency).
    const uplot = await fetch(`${apiUrl}/admin/static/uplot.js`);
    if (uplot.status !== 200 || !(await uplot.text()).includes('uPlot')) {
      throw new Error(`the api's /admin/static/uplot.js answered ${uplot.status}, not the chart library`);
    }
    await waitFor(() => {
      alive('worker');
      return processes.worker.output().includes('"worker started"');
    }, 'the worker to log "worker started"');
    const { job, log } = await runJob(apiUrl);
    if (job.state !== 'succeeded' || !log.includes('compiled-and-deployed')) {
      throw new Error(`the job ended ${job.state} (${job.reason ?? ''}) with the log ${JSON.stringify(log)}`);
    }
    // The health check sees every connection of the network namespace: with the api stopped, the
    // worker's is the only one to this Redis; it must pass now and fail once the worker is gone.
    await stopProcess(processes.api.child);
    const healthy = await workerHealth(outDir, env);
    await stopProcess(processes.worker.child);
    const gone = await workerHealth(outDir, env);
    if (healthy.code !== 0 || gone.code === 0) {
      throw new Error(
        `the worker's health check answered ${healthy.code} with the worker running (${healthy.output}), ${gone.code} without`,
      );
    }
  } catch (error) {
    for (const [name, { output }] of Object.entries(processes)) {
      error.message += `\n--- ${name} output:\n${output().slice(-4000)}`;
    }
    throw error;
  } finally {
    await Promise.all(Object.values(processes).map(({ child }) => stopProcess(child)));
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
    const problems = DEPLOYED.flatMap((app) =>
      forbiddenPackages(join(outDir, app.dir)).map(
        (name) => `${app.name}: the production install contains ${name}`,
      ),
    );
    if (problems.length === 0) {
      await startDeployed(outDir);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `check-prod-deps: built, deployed (--prod), ran a job on api + worker + simulator: ${seconds} s\n`,
      );
    }
    return problems;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
