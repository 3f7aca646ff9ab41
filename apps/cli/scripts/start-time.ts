/**
 * How long a command takes to start and end, measured the same way by the package test and
 * bench/cli-startup.ts: each command run `runs` times, the commands interleaved (a burst of load
 * then hits all of them alike), the median and the fastest run per command.
 */
import { spawnSync } from 'node:child_process';

export interface Timed {
  label: string;
  command: string[];
}

export interface StartTime {
  label: string;
  medianMs: number;
  minMs: number;
}

export function startTimes(
  commands: readonly Timed[],
  runs: number,
  env: NodeJS.ProcessEnv = process.env,
): StartTime[] {
  const samples = commands.map((): number[] => []);
  for (let run = 0; run < runs; run++) {
    for (const [index, { label, command }] of commands.entries()) {
      const started = process.hrtime.bigint();
      const result = spawnSync(command[0] ?? '', command.slice(1), { stdio: 'ignore', env });
      samples[index]?.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (result.status !== 0) {
        throw new Error(`${label}: ${command.join(' ')} exited ${result.status ?? result.signal}`);
      }
    }
  }
  return commands.map(({ label }, index) => {
    const sorted = (samples[index] ?? []).sort((a, b) => a - b);
    return {
      label,
      medianMs: Math.round(sorted[Math.floor(sorted.length / 2)] ?? Number.NaN),
      minMs: Math.round(sorted[0] ?? Number.NaN),
    };
  });
}
