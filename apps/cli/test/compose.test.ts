import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from './support/run-cli';

/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: `docker-compose config -q`
 * (scripts/check-compose.sh) accepts the file and refuses a broken one, and the pieces it names exist.
 */
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

interface ComposeService {
  command?: string[];
  build?: { target: string };
  environment?: Record<string, string>;
  env_file?: string;
  healthcheck?: { test?: string[] };
  network_mode?: string;
  profiles?: string[];
}

function checkCompose(file?: string) {
  return spawnSync('bash', [join(REPO, 'scripts/check-compose.sh')], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, ...(file ? { CHECK_COMPOSE_FILE: file } : {}) },
    timeout: 170_000,
  });
}

describe('docker-compose.yml', () => {
  it('passes `docker-compose config -q` with a .env made from .env.example; a broken file fails', async () => {
    const ok = checkCompose();
    expect(ok.stdout).toContain('docker-compose.yml is valid');
    expect(ok.status).toBe(0);

    const dir = await mkdtemp(join(tmpdir(), 'compose-check-'));
    try {
      const broken = join(dir, 'docker-compose.yml');
      await writeFile(
        broken,
        read('docker-compose.yml').replace('condition: service_healthy', 'condition: when_it_feels_like_it'),
      );
      const bad = checkCompose(broken);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/condition/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('runs Redis with AOF, and api + worker from Dockerfile targets that run their compiled entry', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    expect(compose.services.redis?.command?.join(' ')).toContain('--appendonly yes');
    const dockerfile = read('Dockerfile');
    for (const service of ['api', 'worker']) {
      const target = compose.services[service]?.build?.target ?? '';
      expect(dockerfile).toMatch(new RegExp(`^FROM runtime AS ${target}$`, 'm'));
      // The image runs what `pnpm build` makes (scripts/bundle.mjs: src/main.ts → dist/main.js).
      const manifest = JSON.parse(read(`apps/${service}/package.json`)) as {
        scripts: Record<string, string>;
      };
      expect(manifest.scripts.build).toMatch(/bundle\.mjs main\b/);
      expect(manifest.scripts.start).toBe('node dist/main.js');
      expect(existsSync(join(REPO, `apps/${service}/src/main.ts`))).toBe(true);
      expect(compose.services[service]?.environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(compose.services[service]?.healthcheck?.test?.join(' ')).toMatch(/node /);
    }
    expect(dockerfile).toMatch(/pnpm deploy --prod --filter @clore-batch\/api /);
    expect(dockerfile).toMatch(/pnpm deploy --prod --filter @clore-batch\/worker /);
    expect(dockerfile.match(/^CMD \["node", "dist\/main\.js"\]$/gm)).toHaveLength(2);
    expect(compose.services.api?.healthcheck?.test?.join(' ')).toContain('/healthz');
    expect(compose.services.worker?.healthcheck?.test).toContain('dist/healthcheck.js');
    expect(existsSync(join(REPO, 'apps/worker/src/healthcheck.ts'))).toBe(true);
    // Every workspace package's manifest is copied before `pnpm install --frozen-lockfile`.
    const workspaces = ['apps', 'packages'].flatMap((root) =>
      readdirSync(join(REPO, root)).map((name) => `${root}/${name}`),
    );
    for (const ws of [...workspaces, 'bench'].filter((ws) => existsSync(join(REPO, ws, 'package.json')))) {
      expect(dockerfile).toContain(`COPY ${ws}/package.json ${ws}/`);
    }
    // The data directory belongs to the user the apps run as.
    expect(dockerfile).toMatch(/chown node:node \/data/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('has a sandbox profile: the simulator, and an api + worker renting from it that need no .env or key', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    const sim = compose.services.sim;
    expect(sim?.profiles).toEqual(['sandbox']);
    expect(read('Dockerfile')).toMatch(/^FROM node:\S+ AS sim$/m);
    // The worker shares the simulator's network (its sshd listen on 127.0.0.1 there); the api does
    // not, so the worker's health check (connections of its network) sees no api connection.
    const where = {
      'sandbox-api': [undefined, 'http://sim:8077'],
      'sandbox-worker': ['service:sim', 'http://127.0.0.1:8077'],
    };
    for (const [service, [network, cloreUrl]] of Object.entries(where)) {
      const spec = compose.services[service];
      expect(spec?.profiles).toEqual(['sandbox']);
      expect(spec?.env_file).toBeUndefined();
      expect(spec?.network_mode).toBe(network);
      expect(spec?.environment?.CLORE_API_URL).toBe(cloreUrl);
      expect(spec?.environment?.CLORE_API_KEY).toBe('sim-key');
      // Its own keys in the shared Redis: nothing mixes with the production services' records.
      expect(spec?.environment?.REDIS_PREFIX).toBe('sandbox');
      expect(spec?.healthcheck).toBeDefined();
    }
    expect(compose.services.api?.profiles).toBeUndefined();
    expect(compose.services.worker?.profiles).toBeUndefined();
  });
});
