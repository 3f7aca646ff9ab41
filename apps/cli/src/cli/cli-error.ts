import { EXIT, type ExitCode } from './exit-codes';

/**
 * An error that ends the command with a specific exit code and a one-line message on stderr
 * ("clore-batch: <message>"). Anything else thrown is a bug and exits 1 with its stack.
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A bad flag, argument or job file: exit 2, naming the problem. */
export function usageError(message: string): CliError {
  return new CliError(EXIT.usage, message);
}
