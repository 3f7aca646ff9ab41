import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packCli } from './pack';

export interface InstalledCli {
  /** Everything below: the package, the prefix, npm's cache. */
  dir: string;
  tarball: string;
  version: string;
  /** The packages whose code is in the bundle (bytes each), from esbuild's metafile. */
  inputs: Record<string, number>;
  /** The installed command, `<prefix>/bin/clore-batch`. */
  bin: string;
  prefix: string;
}

/**
 * `pnpm pack:cli` into a temporary directory, then `npm install -g <tarball> --prefix <tmp>` with
 * an empty npm cache, `--offline` and an unreachable registry: it must install with nothing to
 * fetch. For the package test and bench/cli-startup.ts; remove `dir` when done.
 */
export async function installPackagedCli(): Promise<InstalledCli> {
  const dir = await mkdtemp(join(tmpdir(), 'cli-package-'));
  const packed = await packCli(join(dir, 'dist'));
  const prefix = join(dir, 'prefix');
  await promisify(execFile)(
    'npm',
    ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', packed.tarball],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        npm_config_cache: join(dir, 'npm-cache'),
        npm_config_registry: 'http://127.0.0.1:9/',
        npm_config_update_notifier: 'false',
      },
    },
  );
  return {
    dir,
    tarball: packed.tarball,
    version: packed.version,
    inputs: packed.inputs,
    bin: join(prefix, 'bin/clore-batch'),
    prefix,
  };
}
