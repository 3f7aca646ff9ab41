import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ReadStream } from 'node:tty';

export type Answer = 'yes' | 'no' | 'interrupted';

/**
 * What a command touches of the outside world: output streams, stdin, the environment, and a
 * yes/no question on the terminal. Commands take an `Io` so they never reach for globals.
 */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** stderr is a terminal: draw a live status line and ask before cancelling. */
  stderrIsTty: boolean;
  /** A terminal to ask questions on exists (`/dev/tty`, or stdin when it is one). */
  canAsk: boolean;
  /**
   * Ask a yes/no question on the terminal: 'no' when there is none; 'interrupted' on Ctrl-C while
   * asking (the terminal is in raw mode then, so Ctrl-C reaches the prompt, not the process).
   */
  confirm(question: string): Promise<Answer>;
  /** Listen for Ctrl-C (SIGINT) and SIGTERM while waiting; returns the function that stops listening. */
  onSignal(listener: (signal: 'SIGINT' | 'SIGTERM') => void): () => void;
}

/** The process's own streams and terminal. */
export function processIo(): Io {
  const stderrIsTty = process.stderr.isTTY === true;
  const canAsk = stderrIsTty && (process.stdin.isTTY === true || hasDevTty());
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stderrIsTty,
    canAsk,
    confirm: (question) => (canAsk ? askTerminal(question) : Promise.resolve('no')),
    onSignal(listener) {
      const onInt = () => listener('SIGINT');
      const onTerm = () => listener('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}

function hasDevTty(): boolean {
  try {
    // Opening it fails with ENXIO when the process has no controlling terminal (CI, daemons).
    closeSync(openSync('/dev/tty', 'r'));
    return true;
  } catch {
    return false;
  }
}

/** Read one answer from /dev/tty (stdin may be the job file), or stdin when /dev/tty fails. */
async function askTerminal(question: string): Promise<Answer> {
  // stdin may be the job file (`submit -`): then ask on the controlling terminal itself.
  const input: Readable = process.stdin.isTTY ? process.stdin : new ReadStream(openSync('/dev/tty', 'r'));
  const rl = createInterface({ input, output: process.stderr, terminal: true });
  try {
    return await new Promise<Answer>((resolve) => {
      rl.question(question, (answer) => resolve(/^y(es)?$/i.test(answer.trim()) ? 'yes' : 'no'));
      rl.once('SIGINT', () => resolve('interrupted'));
      rl.once('close', () => resolve('no'));
    });
  } finally {
    rl.close();
    if (input !== process.stdin) {
      input.destroy();
    }
  }
}
