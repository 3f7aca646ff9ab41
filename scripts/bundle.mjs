#!/usr/bin/env node
// `pnpm build` of a deployable package (docs/decisions/0139-compiled-bundles.md): each entry
// (src/<name>.ts) becomes dist/<name>.js, one ES module with the package's own sources and every
// @clore-batch/* workspace package compiled in; npm packages stay imports, resolved at run time from
// the package's node_modules. Run in the package directory: `node ../../scripts/bundle.mjs main [...]`.
// The build fails when the bundle imports an npm package the package does not list in its own
// `dependencies` (a production install would not have it), or when it would pull in test-only code.
import { cpSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, sep } from 'node:path';
import { build } from 'esbuild';

const WORKSPACE_SCOPE = '@clore-batch/';
/** Workspace packages only tests use: a production bundle never contains them. */
const TEST_ONLY = ['@clore-batch/testing'];
/** Files under src/ that are not code but read at run time, copied to the same place under dist/. */
const NOT_ASSETS = /\.(ts|md|mmd)$/;

const pkgDir = process.cwd();
const srcDir = join(pkgDir, 'src');
const outDir = join(pkgDir, 'dist');
const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const entries = process.argv.slice(2);
if (entries.length === 0) {
  console.error('usage: node scripts/bundle.mjs <entry under src/, without .ts> ...');
  process.exit(2);
}

/** The npm package an import names: `a/b/c` → `a`, `@s/a/b` → `@s/a`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** npm packages stay imports; workspace packages (their TypeScript sources) are compiled in. */
const externals = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || args.path.startsWith(WORKSPACE_SCOPE)) {
        if (TEST_ONLY.includes(packageOf(args.path))) {
          return { errors: [{ text: `${args.path} is test-only (imported by ${args.importer})` }] };
        }
        return undefined;
      }
      return { path: args.path, external: true };
    });
  },
};

/**
 * `import.meta.url` keeps its meaning: in a file of this package's src/ it becomes the URL the file
 * would have under dist/ (assets are copied there); anywhere else it would silently change, so the
 * build refuses it.
 */
const importMetaUrl = {
  name: 'import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) {
        return undefined;
      }
      const rel = relative(srcDir, args.path);
      if (rel.startsWith('..')) {
        return { errors: [{ text: `import.meta.url in ${args.path}, outside ${srcDir}: not bundlable` }] };
      }
      const asDist = `./${rel.split(sep).join('/').replace(/\.ts$/, '.js')}`;
      const contents = source.replaceAll(
        'import.meta.url',
        `new URL(${JSON.stringify(asDist)}, import.meta.url).href`,
      );
      return { contents, loader: 'ts' };
    });
  },
};

function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      copyAssets(path);
    } else if (!NOT_ASSETS.test(name)) {
      cpSync(path, join(outDir, relative(srcDir, path)));
    }
  }
}

rmSync(outDir, { recursive: true, force: true });
const result = await build({
  entryPoints: entries.map((entry) => ({ in: join(srcDir, `${entry}.ts`), out: entry })),
  outdir: outDir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  // Stack traces and logs name functions and classes as in the sources.
  keepNames: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [externals, importMetaUrl],
});
copyAssets(srcDir);

const declared = new Set(Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }));
const missing = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const imported of output.imports) {
    if (imported.external && !isBuiltin(imported.path)) {
      const name = packageOf(imported.path);
      if (!declared.has(name)) {
        missing.add(name);
      }
    }
  }
}
if (missing.size > 0) {
  console.error(
    `${manifest.name}: the bundle imports ${[...missing].join(', ')}, not in its dependencies ` +
      '(a production install would not have them): add them with `pnpm add -E`.',
  );
  process.exit(1);
}
const sizes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.js'))
  .map(([file, output]) => `${relative(pkgDir, file)} ${(output.bytes / 1024).toFixed(0)} KiB`);
process.stdout.write(`${manifest.name}: ${sizes.join(', ')}\n`);
