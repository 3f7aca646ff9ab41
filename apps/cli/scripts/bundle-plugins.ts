/**
 * esbuild plugins that keep the packaged CLI small and its start fast (docs/decisions/0143-cli-startup.md).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';

/** The workspace packages the CLI's commands use; the others are the sandbox's (and servers'). */
const BUNDLED_WORKSPACE = new Set(['shared']);

/** `export { a, type B, c as d } from './x'` lines of a barrel file: exported name → module specifier. */
function barrelExports(indexFile: string): Map<string, string> {
  const exports = new Map<string, string>();
  const source = readFileSync(indexFile, 'utf8');
  for (const [, names = '', from = ''] of source.matchAll(/export\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    for (const name of names.split(',').map((n) => n.trim())) {
      if (name !== '' && !name.startsWith('type ')) {
        exports.set(name.split(/\s+as\s+/).at(-1) ?? name, from);
      }
    }
  }
  return exports;
}

/** The value names `file` imports from `specifier` (`import { a, type B } from 'specifier'` → a). */
function importedNames(file: string, specifier: string): string[] {
  const source = readFileSync(file, 'utf8');
  const names: string[] = [];
  const pattern = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*'${specifier.replaceAll('/', '\\/')}'`, 'g');
  for (const [, list = ''] of source.matchAll(pattern)) {
    names.push(
      ...list
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '' && !n.startsWith('type ')),
    );
  }
  return names;
}

/**
 * `@clore-batch/<name>` resolves to the package's TypeScript source (never to a build output its
 * package.json may export), and each importing file gets only the modules defining the names it
 * imports, not the package's barrel: the barrel would put every module's top-level statements
 * (zod schemas, the Redis store) into the chunk `--version` loads. A package other than
 * `BUNDLED_WORKSPACE` is a build error.
 */
export function workspaceSources(repo: string): Plugin {
  return {
    name: 'workspace-sources',
    setup(build) {
      build.onResolve({ filter: /^@clore-batch\// }, (args) => {
        const name = args.path.slice('@clore-batch/'.length);
        if (!BUNDLED_WORKSPACE.has(name)) {
          return {
            errors: [{ text: `${args.path} must not be in the packaged CLI (imported by ${args.importer})` }],
          };
        }
        return {
          path: args.importer,
          namespace: 'workspace-import',
          pluginData: { name, specifier: args.path },
        };
      });
      build.onLoad({ filter: /.*/, namespace: 'workspace-import' }, (args) => {
        const { name, specifier } = args.pluginData as { name: string; specifier: string };
        const srcDir = join(repo, 'packages', name, 'src');
        const barrel = barrelExports(join(srcDir, 'index.ts'));
        const lines = importedNames(args.path, specifier).map((imported) => {
          const from = barrel.get(imported);
          if (from === undefined) {
            throw new Error(
              `${specifier} has no export ${imported} in its src/index.ts (imported by ${args.path})`,
            );
          }
          return `export { ${imported} } from '${from}';`;
        });
        return { contents: lines.join('\n'), loader: 'ts', resolveDir: srcDir };
      });
    },
  };
}

/**
 * zod's `z.locales` (and `z.core.locales`) namespace holds every language's error messages (a third
 * of its size); the CLI uses none of them (zod's default English messages come from
 * `locales/en.js`, imported on their own). Only `en` is kept in the namespace.
 */
export const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[/\\]zod[/\\]v4[/\\](classic|core)[/\\](external|index)\.js$/.test(args.importer)
        ? { path: join(dirname(args.importer), '../locales/index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};
