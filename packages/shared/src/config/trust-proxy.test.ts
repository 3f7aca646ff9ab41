import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config';

const load = (TRUST_PROXY: string) => loadConfig({ SECRETS_KEY: 'x'.repeat(40), TRUST_PROXY }).TRUST_PROXY;

describe('TRUST_PROXY', () => {
  it('is false by default and reads true/false words', () => {
    expect(loadConfig({ SECRETS_KEY: 'x'.repeat(40) }).TRUST_PROXY).toBe(false);
    expect(load('true')).toBe(true);
    expect(load('0')).toBe(false);
  });

  it('takes proxy addresses, CIDR ranges and proxy-addr names', () => {
    expect(load('10.0.0.5, 192.168.0.0/16,::1,fd00::/8,loopback')).toEqual([
      '10.0.0.5',
      '192.168.0.0/16',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['2', 'proxy.internal', '10.0.0.0/33', '::1/129', '10.0.0.1/8/1', ','])('refuses %j', (value) => {
    expect(() => load(value)).toThrow(/TRUST_PROXY: must be true, false, or proxy addresses/);
  });
});
