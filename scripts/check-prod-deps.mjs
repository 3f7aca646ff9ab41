#!/usr/bin/env node
// Fails when a package that runs in production (its `dependencies`, followed through the workspace)
// pulls in a test-only package. The sandbox and the simulator run processes at runtime: those live in
// @clore-batch/runtime, never in @clore-batch/testing (docs/decisions/0126-runtime-and-testing-packages.md).
// With --install it also does what the Docker image does (scripts/prod-install.mjs: build, `pnpm deploy
// --prod`, start the compiled api and worker) and fails on a test or build tool in the install.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProdInstall } from './prod-install.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
/** Packages only tests may depend on. */
const TEST_ONLY = new Set(['@clore-batch/testing']);
/** Harnesses that are themselves test tooling: they may depend on test-only packages. */
const HARNESSES = new Set(['@clore-batch/testing', '@clore-batch/bench']);

function workspacePackages() {
  const dirs = ['bench'];
  for (const group of ['apps', 'packages']) {
    for (const name of readdirSync(join(ROOT, group))) {
      dirs.push(join(group, name));
    }
  }
  const packages = new Map();
  for (const dir of dirs) {
    const file = join(ROOT, dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8'));
      packages.set(json.name, {
        dir,
        deps: Object.keys({ ...json.dependencies, ...json.optionalDependencies }),
      });
    }
  }
  return packages;
}

/** The chain of prod dependencies from `name` to a test-only package, or undefined. */
function testOnlyChain(packages, name, seen = new Set()) {
  for (const dep of packages.get(name)?.deps ?? []) {
    if (TEST_ONLY.has(dep)) {
      return [name, dep];
    }
    if (packages.has(dep) && !seen.has(dep)) {
      seen.add(dep);
      const chain = testOnlyChain(packages, dep, seen);
      if (chain) {
        return [name, ...chain];
      }
    }
  }
  return undefined;
}

const packages = workspacePackages();
const problems = process.argv.includes('--install') ? await checkProdInstall(ROOT) : [];
for (const [name, { dir }] of packages) {
  if (!HARNESSES.has(name)) {
    const chain = testOnlyChain(packages, name);
    if (chain) {
      problems.push(
        `${dir}: a production dependency chain reaches a test-only package: ${chain.join(' -> ')}`,
      );
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(
    'Move what runs at runtime to @clore-batch/runtime; keep the test package in devDependencies.',
  );
  process.exit(1);
}
