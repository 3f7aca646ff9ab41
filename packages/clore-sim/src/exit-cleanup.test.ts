import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { canConnect } from '@clore-batch/testing';
import { describe, expect, it } from 'vitest';
import { findMarkedPids } from './host/kill-processes';

describe('a process that exits without close()', () => {
  it("takes its orders' sshds and startup commands down with it", async () => {
    const fixture = join(import.meta.dirname, '..', 'test', 'fixtures', 'exit-without-close.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect({ code, err }).toMatchObject({ code: 3 });
    const { port, id, instance } = JSON.parse(out) as { port: number; id: number; instance: string };
    expect(await canConnect(port)).toBe(false);
    expect(await findMarkedPids(instance, id)).toEqual([]);
  });
});
