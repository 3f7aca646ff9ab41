import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from './support/run-cli';

/**
 * scripts/bundle.mjs, the `pnpm build` of the deployable apps (docs/decisions/0139), on a small
 * package of its own: a file read through `import.meta.url` is found from the bundle too, and an npm
 * import the package does not declare fails the build.
 */
let dir: string;

async function writePackage(files: Record<string, string>, dependencies: Record<string, string> = {}) {
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'fixture', type: 'module', dependencies }),
  );
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

function bundle(...entries: string[]) {
  return spawnSync(process.execPath, [join(REPO, 'scripts/bundle.mjs'), ...entries], {
    cwd: dir,
    encoding: 'utf8',
  });
}

describe('scripts/bundle.mjs', () => {
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bundle-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('compiles an entry with its relative imports; a file read via import.meta.url is copied and found', async () => {
    await writePackage({
      'src/main.ts': "import { page } from './pages/read';\nprocess.stdout.write(page());\n",
      'src/pages/read.ts':
        "import { readFileSync } from 'node:fs';\n" +
        "export const page = (): string => readFileSync(new URL('../static/page.html', import.meta.url), 'utf8');\n",
      'src/static/page.html': '<p>from the sources</p>',
      'src/notes.md': 'not an asset',
    });
    const built = bundle('main');
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    expect(existsSync(join(dir, 'dist/static/page.html'))).toBe(true);
    expect(existsSync(join(dir, 'dist/notes.md'))).toBe(false);
    expect(existsSync(join(dir, 'dist/pages/read.js'))).toBe(false); // one file, not a copy of src/
    const run = spawnSync(process.execPath, ['dist/main.js'], { cwd: dir, encoding: 'utf8' });
    expect(run.stdout).toBe('<p>from the sources</p>');
  });

  it('fails, naming the package, when the bundle imports an npm package the package does not declare', async () => {
    await writePackage({
      'src/main.ts': "import pino from 'pino';\nimport { z } from 'zod';\nexport const both = [pino, z];\n",
    });
    const refused = bundle('main');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/imports pino, zod, not in its dependencies/);

    await writePackage(
      { 'src/main.ts': "import pino from 'pino';\nexport const p = pino;\n" },
      { pino: '1.0.0' },
    );
    expect(bundle('main').status).toBe(0);
  });
});
