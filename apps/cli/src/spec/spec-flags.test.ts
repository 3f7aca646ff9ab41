import { describe, expect, it } from 'vitest';
import { CliError } from '../cli/cli-error';
import { applyFlags, assertValidSpec, type SpecFlags } from './spec-flags';

const none: SpecFlags = { gpu: [], env: [], secretEnv: [], output: [], command: [] };

function usageMessage(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return (error as CliError).message;
  }
  throw new Error('expected a usage error');
}

describe('applyFlags', () => {
  it('flags override file fields; lists replace, env maps merge', () => {
    const file = {
      gpu: { model: 'RTX 4090', count: 2 },
      image: 'a',
      command: 'old',
      env: { A: '1', B: '2' },
      outputs: ['/old'],
      maxPricePerHourUsd: 1,
      budgetUsd: 1,
    };
    const spec = applyFlags(
      file,
      {
        ...none,
        gpu: ['RTX 3090', 'RTX 3080'],
        image: 'b',
        env: ['B=3', 'C=x=y'],
        output: ['/out'],
        command: ['echo', 'hi'],
        spot: true,
        imageHasSshd: true,
        outputsRequired: true,
        maxPrice: 2,
      },
      {},
    );
    expect(spec).toEqual({
      gpu: { model: ['RTX 3090', 'RTX 3080'], count: 2 },
      image: 'b',
      command: 'echo hi',
      env: { A: '1', B: '3', C: 'x=y' },
      outputs: ['/out'],
      outputsRequired: true,
      orderType: 'spot',
      imageHasSshd: true,
      maxPricePerHourUsd: 2,
      budgetUsd: 1,
    });
    expect(() => assertValidSpec(spec)).not.toThrow();
  });

  it('several words after -- keep their argv; one word stays a shell script', () => {
    const argv = applyFlags({}, { ...none, command: ['python', 'train.py', '--lr', '0.1 0.2'] }, {});
    expect(argv.command).toBe("python train.py --lr '0.1 0.2'");
    const script = applyFlags({}, { ...none, command: ['echo a && echo $HOME'] }, {});
    expect(script.command).toBe('echo a && echo $HOME');
  });

  it('--secret-env NAME reads the value from the environment, never echoes a value in errors', () => {
    const spec = applyFlags({}, { ...none, secretEnv: ['TOKEN', 'OTHER=v'] }, { TOKEN: 's3cret' });
    expect(spec.secretEnv).toEqual({ TOKEN: 's3cret', OTHER: 'v' });
    expect(usageMessage(() => applyFlags({}, { ...none, secretEnv: ['MISSING'] }, {}))).toContain(
      'MISSING is not set',
    );
    const message = usageMessage(() => applyFlags({}, { ...none, secretEnv: ['=hunter2'] }, {}));
    expect(message).not.toContain('hunter2');
  });
});

describe('assertValidSpec', () => {
  it('names every bad field with the flag that sets it', () => {
    const message = usageMessage(() => assertValidSpec({ gpu: {}, image: 'x', budgetUsd: 0, bogus: 1 }));
    expect(message).toContain('gpu.model (--gpu): is required');
    expect(message).toContain('command (-- COMMAND): is required');
    expect(message).toContain('maxPricePerHourUsd (--max-price): is required');
    expect(message).toContain('budgetUsd (--budget): must be greater than 0');
    expect(message).toContain('bogus: unknown field');
  });
});
