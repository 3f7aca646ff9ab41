import { describe, expect, it } from 'vitest';
import { newUserPath } from './support/new-user-path';

describe('scripts/sandbox.sh', () => {
  it('starts everything, runs the printed submit command, and Ctrl-C leaves nothing behind', async () => {
    const args = [
      '--port',
      '0',
      '--provisioning-ms',
      '200-400',
      '--sim-general-ms',
      '100',
      '--sim-create-ms',
      '500',
    ];
    const { submitMs } = await newUserPath(args);
    expect(submitMs).toBeLessThan(60_000);
  }, 240_000);
});
