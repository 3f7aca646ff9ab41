import type { Config, DeepReadonly, JobStore, Logger } from '@clore-batch/shared';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { SubmitDeps } from './submission/submit-job';

/** Everything `buildApp` needs; `startApi` and main.ts build it, tests build their own. */
export interface ApiDeps {
  config: DeepReadonly<Config>;
  logger: Logger;
  /** A connected client (rate limiter, readiness, telemetry). The app never closes it. */
  redis: Redis;
  store: JobStore;
  /** BullMQ queue on JOBS_QUEUE with `bullPrefix(REDIS_PREFIX)`: one `run` job per clore-batch job. */
  queue: Queue;
  /** BullMQ queue on WEBHOOKS_QUEUE (the cancel of a queued job reports `cancelled` through it). */
  webhookQueue: Queue;
  /**
   * Extra Fastify plugins registered after the core routes (the admin dashboard goes here:
   * apps/api/src/dashboard). Each gets the same deps.
   */
  plugins?: ReadonlyArray<ApiPlugin>;
  /**
   * Called once per answered request, on every route (a root onResponse hook registered before the
   * routes). The API test kit checks each status against the OpenAPI document here (decision 0138).
   */
  onResponse?: (request: FastifyRequest, reply: FastifyReply) => void;
}

export type ApiPlugin = FastifyPluginAsync<{ deps: ApiDeps }>;

/** The deps of the routes that submit work (jobs, sweeps): the API's and the submission's own. */
export type SubmittingApiDeps = ApiDeps & { submit: SubmitDeps };
