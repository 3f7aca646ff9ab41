/**
 * How long a command takes to start and end, measured the same way by the package test and
 * bench/cli-startup.ts: each command run `runs` times, the commands interleaved (a burst of load
 * then hits all of them alike), the median and the fastest run per command. Asynchronous, so an
 * in-process simulator keeps answering meanwhile.
 */
import { spawn } from 'node:child_process';

export interface Timed {
  label: string;
  command: string[];
}

export interface StartTime {
  label: string;
  medianMs: number;
  minMs: number;
}

/** Run `command` to its end; resolves with its exit code (or signal). */
function run(command: readonly string[], env: NodeJS.ProcessEnv): Promise<number | string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] ?? '', command.slice(1), { stdio: 'ignore', env });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
}

export async function startTimes(
  commands: readonly Timed[],
  runs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StartTime[]> {
  const samples = commands.map((): number[] => []);
  for (let round = 0; round < runs; round++) {
    for (const [index, { label, command }] of commands.entries()) {
      const started = process.hrtime.bigint();
      const code = await run(command, env);
      samples[index]?.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (code !== 0) {
        throw new Error(`${label}: ${command.join(' ')} exited ${code}`);
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
