import { describe, expect, it } from 'vitest';
import { isRefusedAddress, webhookTargetProblem } from './address-policy';

describe('isRefusedAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::10.0.0.1',
    '2002:c0a8:0101::1',
    '[::1]',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isRefusedAddress(address)).toBe(true);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
  ])('allows %s', (address) => {
    expect(isRefusedAddress(address)).toBe(false);
  });
});

describe('webhookTargetProblem', () => {
  const resolver = (answers: Record<string, string[]>) => async (host: string) => {
    const found = answers[host];
    if (!found) {
      throw new Error('ENOTFOUND');
    }
    return found;
  };

  it('judges literal addresses without DNS and names by every address they resolve to', async () => {
    const resolve = resolver({
      'ok.example': ['93.184.216.34'],
      'mixed.example': ['93.184.216.34', '10.0.0.5'],
    });
    expect(await webhookTargetProblem('https://ok.example/hook', resolve)).toBeUndefined();
    expect(await webhookTargetProblem('https://mixed.example/hook', resolve)).toMatch(/10\.0\.0\.5/);
    expect(await webhookTargetProblem('https://[::ffff:127.0.0.1]/hook', resolve)).toMatch(/loopback/);
    expect(await webhookTargetProblem('https://nowhere.example/hook', resolve)).toMatch(/does not resolve/);
  });
});
