import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names whose values are secrets wherever they appear (to three levels deep). Redaction is
 * on by default and cannot be turned off: a secret must never reach a log line.
 */
export const SECRET_FIELDS = [
  'apiKey',
  'api_key',
  'auth',
  'authorization',
  'Authorization',
  'cookie',
  'token',
  'tokens',
  'apiTokens',
  'secretEnv',
  'registryAuth',
  'dockerhubAuth',
  'dockerhub_auth',
  'secret',
  'secretsKey',
  'privateKey',
  'private_key',
  'password',
  'ssh_password',
  'jupyter_token',
  'passphrase',
] as const;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const field of SECRET_FIELDS) {
    paths.push(field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`);
  }
  return paths;
}

export interface CreateLoggerOptions {
  level?: string;
  /** Base bindings on every line, e.g. `{ service: 'worker' }`. */
  base?: Record<string, unknown>;
  /** Where lines go (default stdout). Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: options.base ?? {},
    redact: { paths: redactPaths(), censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** A logger that drops everything, for library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Scope a logger to one component: `forComponent(log, 'order-watcher')`. */
export function forComponent(
  logger: Logger,
  component: string,
  bindings: Record<string, unknown> = {},
): Logger {
  return logger.child({ component, ...bindings });
}

/** Scope a logger to one job attempt. */
export function forJob(logger: Logger, jobId: string, attempt?: number): Logger {
  return logger.child(attempt === undefined ? { jobId } : { jobId, attempt });
}
