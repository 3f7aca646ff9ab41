export { AppError, type AppErrorOptions, errorCodeOf, hasErrorCode } from './errors/app-error';
export { ERROR_CODES, type ErrorCode, type ErrorDefinition, isErrorCode } from './errors/codes';
export {
  type CreateLoggerOptions,
  createLogger,
  forComponent,
  forJob,
  type Logger,
  SECRET_FIELDS,
  silentLogger,
} from './logging/logger';
