/**
 * The CLI as a standalone npm package (docs/decisions/0142-cli-package.md): `src/bin-packaged.ts`
 * bundled by esbuild into one file with every dependency inside, a package.json with no
 * dependencies, docs/cli.md as its README, packed by `npm pack`.
 *
 *   pnpm pack:cli                      → dist/clore-batch-cli-<version>.tgz (at the repository root)
 *   tsx apps/cli/scripts/pack.ts DIR   → DIR/clore-batch-cli-<version>.tgz
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { workspaceSources, zodEnglishOnly } from './bundle-plugins';

const CLI = fileURLToPath(new URL('..', import.meta.url));
const REPO = resolve(CLI, '../..');
/** Packages that must never reach the bundle: servers, Redis, SSH, test tooling. */
export const FORBIDDEN = [
  '@clore-batch/clore-sim',
  '@clore-batch/runtime',
  '@clore-batch/testing',
  '@clore-batch/api',
  '@clore-batch/worker',
  '@clore-batch/clore',
  'ioredis',
  'bullmq',
  'pino',
  'ssh2',
  'fastify',
  'testcontainers',
  'tsx',
];

export interface CliPackage {
  version: string;
  /** The .tgz `npm install -g` takes. */
  tarball: string;
  /** Every package whose code is in the bundle, and its share of the bytes. */
  inputs: Record<string, number>;
  bytes: number;
}

async function cliVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(CLI, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The package an input file belongs to: `zod`, `@clore-batch/shared`, `cli` for this package's own. */
function packageOf(input: string): string {
  if (input.startsWith('zod-locales:')) {
    return 'zod';
  }
  if (input.startsWith('workspace-import:')) {
    return 'cli';
  }
  const modules = input.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const parts = input.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? input);
  }
  const path = relative(REPO, resolve(REPO, input));
  return path.startsWith('apps/cli/') ? 'cli' : `@clore-batch/${path.split('/')[1]}`;
}

/** Bytes in the bundle (all its files) per package, from esbuild's metafile. */
function inputsOf(metafile: Metafile): Record<string, number> {
  const inputs: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      inputs[name] = (inputs[name] ?? 0) + bytesInOutput;
    }
  }
  return inputs;
}

/**
 * Bundle `src/bin-packaged.ts` into `binDir`: `clore-batch.mjs` (executable) and the chunks each
 * command loads when it runs. Fails if a forbidden package is in it.
 */
export async function bundleCli(binDir: string, version: string): Promise<Record<string, number>> {
  const result = await build({
    entryPoints: { 'clore-batch': join(CLI, 'src/bin-packaged.ts') },
    outdir: binDir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    absWorkingDir: REPO,
    bundle: true,
    platform: 'node',
    target: 'node20.19',
    format: 'esm',
    minify: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
    define: { CLORE_BATCH_VERSION: JSON.stringify(version) },
    plugins: [workspaceSources(REPO), zodEnglishOnly],
    // CommonJS dependencies (commander, ignore) call require('fs'): give the ES module a require.
    banner: {
      js: [
        '#!/usr/bin/env node',
        `// clore-batch ${version}: the command line of clore-batch, bundled with its dependencies.`,
        "import { createRequire as __cloreBatchRequire } from 'node:module';",
        'const require = __cloreBatchRequire(import.meta.url);',
      ].join('\n'),
    },
  });
  const inputs = inputsOf(result.metafile);
  const forbidden = Object.keys(inputs).filter((name) => FORBIDDEN.includes(name));
  if (forbidden.length > 0) {
    throw new Error(`the packaged CLI would contain ${forbidden.join(', ')}`);
  }
  return inputs;
}

/** Build the package and `npm pack` it into `outDir`. */
export async function packCli(outDir: string): Promise<CliPackage> {
  const version = await cliVersion();
  const stage = await mkdtemp(join(tmpdir(), 'clore-batch-pack-'));
  try {
    const inputs = await bundleCli(join(stage, 'bin'), version);
    const manifest = {
      name: '@clore-batch/cli',
      version,
      description: 'Run batch GPU jobs on the Clore.ai marketplace through a clore-batch API.',
      type: 'module',
      bin: { 'clore-batch': 'bin/clore-batch.mjs' },
      files: ['bin/'],
      engines: { node: '>=20.19' },
    };
    await writeFile(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await copyFile(join(REPO, 'docs/cli.md'), join(stage, 'README.md'));
    await mkdir(outDir, { recursive: true });
    const { stdout } = await promisify(execFile)(
      'npm',
      ['pack', stage, '--pack-destination', outDir, '--json', '--ignore-scripts', '--offline'],
      { cwd: stage },
    );
    const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
    const bytes = Object.values(inputs).reduce((sum, n) => sum + n, 0);
    return { version, tarball: join(outDir, packed?.filename ?? ''), inputs, bytes };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const packed = await packCli(resolve(process.argv[2] ?? join(REPO, 'dist')));
  const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  const parts = Object.entries(packed.inputs)
    .sort((a, b) => b[1] - a[1])
    .map(([name, bytes]) => `${name} ${kib(bytes)}`);
  process.stdout.write(`${packed.tarball}\n`);
  process.stderr.write(`bundle ${kib(packed.bytes)}, no dependencies: ${parts.join(', ')}\n`);
}
