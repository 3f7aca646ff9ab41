import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@clore-batch/testing';
import { describe, expect, it } from 'vitest';
import { optionsFromArgs } from './cli-options';

describe('clore-sim command', () => {
  it('parses every setting', () => {
    const options = optionsFromArgs([
      '--port',
      '0',
      '--seed',
      '9',
      '--servers',
      '20',
      '--key',
      'a:CLORE-Blockchain=5,bitcoin=0.1',
      '--key',
      'b',
      '--shape',
      'seed',
      '--general-ms',
      '100',
      '--create-ms',
      '500',
      '--spot-lower-ms',
      '1000',
      '--provisioning',
      '10-20',
      '--clock-speed',
      '60',
      '--ssh-host',
      'localhost',
      '--usd-unit',
      'hour',
      '--creation-fee-usd',
      '0.25',
      '--clock-offset-ms=-90000',
      '--reprice',
      '0.3:1.5',
      '--no-required-price',
      '--faults',
      '{"neverUp":0.5,"myOrdersShort":0.1,"myOrdersEmpty":0.05,"nullFields":0.2}',
      '--log-level',
      'silent',
    ]);
    expect(options).toMatchObject({
      port: 0,
      seed: 9,
      servers: 20,
      keys: [
        { key: 'a', balances: { 'CLORE-Blockchain': 5, bitcoin: 0.1 } },
        { key: 'b', balances: {} },
      ],
      shape: 'seed',
      limits: { generalMs: 100, createMs: 500, spotLowerMs: 1000 },
      provisioningMs: [10, 20],
      clockSpeed: 60,
      sshHost: 'localhost',
      usdPriceUnit: 'hour',
      faults: { neverUp: 0.5, myOrdersShort: 0.1, myOrdersEmpty: 0.05, nullFields: 0.2 },
      provider: {
        creationFeeUsd: 0.25,
        clockOffsetMs: -90_000,
        repriceChance: 0.3,
        repriceFactor: 1.5,
        enforceRequiredPrice: false,
      },
    });
    expect(optionsFromArgs(['--help'])).toBe('help');
    expect(() => optionsFromArgs(['--reprice', 'often'])).toThrow(/reprice/);
    expect(() => optionsFromArgs(['--shape', 'odd'])).toThrow(/shape/);
    expect(() => optionsFromArgs(['--key', 'a:doge=1'])).toThrow(/balance/);
    expect(() => optionsFromArgs(['--provisioning', '5'])).toThrow(/MIN-MAX/);
    expect(() => optionsFromArgs(['--faults', '{"neverUp":2}'])).toThrow(/invalid fault settings/);
    expect(() => optionsFromArgs(['--faults', '{"bogus":1}'])).toThrow(/invalid fault settings/);
  });

  it('starts, prints its URL and keys, serves the API and stops on SIGTERM', async () => {
    const bin = join(import.meta.dirname, '..', 'bin', 'clore-sim.mjs');
    const child = spawn(process.execPath, [bin, '--port', '0', '--key', 'cli-key', '--log-level', 'silent'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], {
        timeoutMs: 20_000,
        message: 'clore-sim prints its URL',
      });
      expect(out).toContain('API keys: cli-key');
      const res = await fetch(`${url}/v1/wallets`, { headers: { auth: 'cli-key' } });
      expect(((await res.json()) as { code: number }).code).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
