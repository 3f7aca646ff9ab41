import { describe, expect, it } from 'vitest';
import { localPathFor } from './outputs';

describe('localPathFor', () => {
  it('keeps the container path below the directory', () => {
    expect(localPathFor('/tmp/art', '/root/out/a.txt')).toBe('/tmp/art/root/out/a.txt');
    expect(localPathFor('art', 'workspace/b.bin')).toMatch(/\/art\/workspace\/b\.bin$/);
  });

  it('refuses a path that would leave the directory or name the directory itself', () => {
    for (const path of ['/../etc/passwd', '/root/../../x', '/', '..']) {
      expect(() => localPathFor('/tmp/art', path)).toThrow(/refusing output path/);
    }
  });
});
