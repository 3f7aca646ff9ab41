import type { ApiClient } from '../api/api-client';
import type { Io } from '../cli/io';

/** What every command action gets: the streams, a client, and the output mode flags. */
export interface CommandContext {
  io: Io;
  client: () => ApiClient;
}

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
}

/** The streams a JSON document was printed on (runCli prints an error document only when none was). */
const printed = new WeakSet<Io>();

/** Print one JSON document on stdout (the only thing `--json` puts there). */
export function printJson(io: Io, value: unknown): void {
  printed.add(io);
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function jsonPrinted(io: Io): boolean {
  return printed.has(io);
}

/** A human line on stderr ("clore-batch: ..."), unless --quiet. */
export function say(io: Io, flags: OutputFlags, text: string): void {
  if (!flags.quiet) {
    io.stderr.write(`clore-batch: ${text}\n`);
  }
}
