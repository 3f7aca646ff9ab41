#!/usr/bin/env node
// The packages are TypeScript run in place (docs/decisions/0002-typescript-in-place.md).
import { register } from 'tsx/esm/api';

register();
await import('../src/bin.ts');
