#!/usr/bin/env node
// Adds up the vitest JSON results of every package (written by each vitest config) and prints one
// closing line, "tests: N passed, N failed, N skipped", so CI shows what ran.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const group of ['apps', 'packages']) {
  for (const name of readdirSync(join(root, group))) {
    for (const file of ['results.json', 'results-slow.json', 'results-chaos.json']) {
      const path = join(root, group, name, '.vitest', file);
      if (!existsSync(path)) continue;
      const result = JSON.parse(readFileSync(path, 'utf8'));
      passed += result.numPassedTests ?? 0;
      failed += result.numFailedTests ?? 0;
      skipped += (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
      for (const suite of result.testResults ?? []) {
        for (const test of suite.assertionResults ?? []) {
          if (test.status === 'failed') failures.push(`${group}/${name}: ${test.fullName}`);
        }
      }
    }
  }
}
for (const failure of failures) console.log(`failed: ${failure}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
