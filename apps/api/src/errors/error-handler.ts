import { AppError } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import { toErrorResponse } from './error-body';

/**
 * One error handler and one not-found handler for the whole app. Bodies are `{code, message,
 * details?}`; 5xx are logged with the error (the logger redacts secret fields), 4xx at debug.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorResponse(error);
    if (status >= 500) {
      request.log.error({ err: error, code: body.code }, `request failed: ${body.code}`);
    } else {
      request.log.debug({ code: body.code }, `request refused: ${body.code}`);
    }
    if (reply.sent || reply.raw.headersSent) {
      return;
    }
    if (body.code === 'UNAUTHORIZED') {
      void reply.header('www-authenticate', 'Bearer realm="clore-batch"');
    }
    void reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request) => {
    throw new AppError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
}
