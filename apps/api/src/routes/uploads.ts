import { AppError, type Config, type DeepReadonly, touchUpload, UPLOAD_SHA256 } from '@clore-batch/shared';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../http/job-access';
import { errorStatuses, TOKEN_ERRORS } from '../http/schemas';
import { storeUpload, tooLarge } from '../uploads/upload-store';

const Sha256 = z.string().regex(UPLOAD_SHA256, 'must be a SHA-256 (64 lowercase hex digits)');

const UploadSchema = z.object({ sha256: Sha256, sizeBytes: z.number().int() });

/** The content types of an upload body: handed to the route as the raw stream (never buffered). */
const UPLOAD_TYPES = ['application/gzip', 'application/octet-stream'];

/**
 * POST /v1/uploads (a workdir tar.gz, streamed to DATA_DIR, content-addressed per tenant) and
 * HEAD /v1/uploads/:sha256 (whether the tenant has it). docs/decisions/0137.
 */
export async function uploadRoutes(
  root: FastifyInstance,
  deps: { config: DeepReadonly<Config> },
): Promise<void> {
  const { config } = deps;
  const maxBytes = config.UPLOAD_MAX_BYTES;
  // In this plugin's scope only: every other route keeps parsing JSON under API_BODY_LIMIT_BYTES.
  await root.register(async (scope) => {
    scope.addContentTypeParser(UPLOAD_TYPES, (_request, payload, done) => done(null, payload));
    const app = scope.withTypeProvider<ZodTypeProvider>();
    app.post(
      '/v1/uploads',
      {
        bodyLimit: maxBytes,
        schema: {
          operationId: 'uploadWorkdir',
          tags: ['uploads'],
          summary: 'Upload a workdir (tar.gz)',
          description:
            "The body is a tar.gz (`application/gzip` or `application/octet-stream`), at most UPLOAD_MAX_BYTES (413 `UPLOAD_TOO_LARGE`). Stored for this token's tenant under its SHA-256; with an `x-content-sha256` header the body must have that digest (422 `UPLOAD_DIGEST_MISMATCH`). 201 when stored, 200 when the tenant had it already. Name it in a spec as `workdir: { upload: sha256 }`. An upload is deleted JOB_RETENTION_SECONDS after its last use (upload or submit).",
          headers: z.object({ 'x-content-sha256': Sha256.optional() }).loose(),
          response: {
            200: UploadSchema,
            201: UploadSchema,
            ...errorStatuses(400, 413, 422, ...TOKEN_ERRORS),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const length = Number(request.headers['content-length']);
        if (Number.isFinite(length) && length > maxBytes) {
          void reply.header('connection', 'close');
          throw tooLarge(maxBytes);
        }
        if (!isStream(request.body)) {
          throw new AppError(
            'VALIDATION_FAILED',
            `an upload's content type must be ${UPLOAD_TYPES.join(' or ')}`,
          );
        }
        const expected = request.headers['x-content-sha256'];
        const stored = await storeUpload({
          dataDir: config.DATA_DIR,
          owner: principal.name,
          body: request.body,
          maxBytes,
          ...(typeof expected === 'string' ? { expectedSha256: expected } : {}),
        }).catch((error: unknown) => {
          void reply.header('connection', 'close'); // the rest of a refused body is not read
          throw error;
        });
        request.log.info(
          { owner: principal.name, ...stored },
          stored.created ? 'upload stored' : 'upload repeated',
        );
        return reply
          .code(stored.created ? 201 : 200)
          .send({ sha256: stored.sha256, sizeBytes: stored.sizeBytes });
      },
    );
  });

  const app = root.withTypeProvider<ZodTypeProvider>();
  app.head(
    '/v1/uploads/:sha256',
    {
      config: { swagger: { exposeHeadRoute: true } },
      schema: {
        operationId: 'hasUpload',
        tags: ['uploads'],
        summary: 'Whether this tenant has an upload',
        description: '200 when it has (counted as a use), 404 when not. No body.',
        params: z.object({ sha256: Sha256 }),
        response: {
          200: z.null().describe('the tenant has it (counted as a use)'),
          404: z.null().describe('the tenant has no such upload'),
          ...errorStatuses(400, ...TOKEN_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      // No body (not even `null`): plain FastifyReply, whose send() needs no payload.
      const plain: FastifyReply = reply;
      if (!(await touchUpload(config.DATA_DIR, principal.name, request.params.sha256))) {
        return plain.code(404).send();
      }
      return plain.code(200).send();
    },
  );
}

function isStream(body: unknown): body is NodeJS.ReadableStream {
  return typeof (body as NodeJS.ReadableStream | undefined)?.pipe === 'function';
}
