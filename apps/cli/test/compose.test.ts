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

  it('runs Redis with AOF, and api + worker from Dockerfile targets whose entry files exist', () => {
    const compose = parse(read('docker-compose.yml')) as {
      services: Record<
        string,
        { command?: string[]; build?: { target: string }; environment?: Record<string, string> }
      >;
    };
    expect(compose.services.redis?.command?.join(' ')).toContain('--appendonly yes');
    const dockerfile = read('Dockerfile');
    for (const service of ['api', 'worker']) {
      const target = compose.services[service]?.build?.target ?? '';
      expect(dockerfile).toMatch(new RegExp(`^FROM base AS ${target}$`, 'm'));
      expect(existsSync(join(REPO, `apps/${service}/src/main.ts`))).toBe(true);
      expect(compose.services[service]?.environment?.REDIS_URL).toBe('redis://redis:6379');
    }
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
});
