import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { CliError } from '../cli/cli-error';
import { EXIT } from '../cli/exit-codes';
import { ApiError, isFinalCode, readErrorBody, unreachable } from './api-error';
import { type ApiJob, ApiJobSchema, type OutputEntry, OutputEntrySchema } from './api-job';
import { type JobPlan, JobPlanSchema, type Offers, OffersSchema } from './api-market';
import { type ApiSweep, ApiSweepSchema } from './api-sweep';

export interface ApiClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; never printed. */
  token: string | undefined;
  fetch?: typeof fetch;
  /** Per-request timeout for everything but streams (default 30 s). */
  timeoutMs?: number;
  /** Tries for a request that may be repeated safely (default 4). */
  tries?: number;
}

export interface JobPage {
  jobs: ApiJob[];
  nextCursor: string | undefined;
}

export interface ListQuery {
  state?: string;
  limit?: number;
  cursor?: string;
  idempotencyKey?: string;
  sweepId?: string;
}

export interface OffersQuery {
  gpu?: string;
  maxPricePerHourUsd?: number;
  currency?: string;
  orderType?: 'on-demand' | 'spot';
}

/** `?a=1&b=2` of the defined values ('' when none). */
function search(query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) {
      params.set(key, String(value));
    }
  }
  return params.size > 0 ? `?${params}` : '';
}

const PageSchema = z.looseObject({
  jobs: z.array(ApiJobSchema),
  nextCursor: z.string().nullable().optional(),
});

const OutputsSchema = z.union([
  z.array(OutputEntrySchema),
  z.looseObject({ outputs: z.array(OutputEntrySchema) }).transform((body) => body.outputs),
  z.looseObject({ files: z.array(OutputEntrySchema) }).transform((body) => body.files),
]);

/** A job, whether the API sends it bare or as `{ job }`. */
const unwrapJob = z.union([ApiJobSchema, z.looseObject({ job: ApiJobSchema }).transform((body) => body.job)]);

const UploadSchema = z.looseObject({ sha256: z.string(), sizeBytes: z.number() });

const RETRY_STATUS = new Set([429, 502, 503, 504]);

/**
 * The REST API of product.md, for the CLI. Requests that are safe to repeat (reads, cancel, and a
 * submit under an Idempotency-Key) are retried on network errors, 429 and 502-504 with backoff;
 * every failure becomes a CliError carrying the exit code for it.
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly tries: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchFn = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.tries = options.tries ?? 4;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** Submit a spec; `created` is false when the Idempotency-Key returned an earlier job. */
  async submit(spec: unknown, idempotencyKey: string): Promise<{ job: ApiJob; created: boolean }> {
    const response = await this.request('submit the job', '/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(spec),
    });
    return { job: await this.parse(response, unwrapJob, 'submit'), created: response.status === 201 };
  }

  /** POST /v1/sweeps: one job per point of `count` or `matrix` (docs/decisions/0136). */
  async submitSweep(body: unknown, idempotencyKey: string): Promise<{ sweep: ApiSweep; created: boolean }> {
    const response = await this.request('submit the sweep', '/v1/sweeps', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
    });
    return { sweep: await this.parse(response, ApiSweepSchema, 'submit'), created: response.status === 201 };
  }

  async getSweep(id: string): Promise<ApiSweep> {
    const response = await this.request(`get sweep ${id}`, `/v1/sweeps/${encodeURIComponent(id)}`);
    return this.parse(response, ApiSweepSchema, `get sweep ${id}`);
  }

  /** Cancel every job of the sweep that has not ended; the sweep after the request. */
  async cancelSweep(id: string): Promise<ApiSweep> {
    const response = await this.request(`cancel sweep ${id}`, `/v1/sweeps/${encodeURIComponent(id)}/cancel`, {
      method: 'POST',
    });
    return this.parse(response, ApiSweepSchema, `cancel sweep ${id}`);
  }

  async getJob(id: string): Promise<ApiJob> {
    const response = await this.request(`get job ${id}`, `/v1/jobs/${encodeURIComponent(id)}`);
    return this.parse(response, unwrapJob, `get job ${id}`);
  }

  /** The plan of a dry run (`POST /v1/jobs?dryRun=true`): nothing is stored or ordered. */
  async plan(spec: unknown): Promise<JobPlan> {
    const response = await this.request('plan the job', '/v1/jobs?dryRun=true', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    return this.parse(response, JobPlanSchema, 'plan the job');
  }

  async offers(query: OffersQuery = {}): Promise<Offers> {
    const response = await this.request('list offers', `/v1/offers${search(query)}`);
    return this.parse(response, OffersSchema, 'list offers');
  }

  /** The caller's job submitted under this Idempotency-Key (within the key's 24 h), if any. */
  async jobByIdempotencyKey(idempotencyKey: string): Promise<ApiJob | undefined> {
    return (await this.listJobs({ idempotencyKey })).jobs[0];
  }

  async listJobs(query: ListQuery = {}): Promise<JobPage> {
    const response = await this.request('list jobs', `/v1/jobs${search(query)}`);
    const page = await this.parse(response, PageSchema, 'list jobs');
    return { jobs: page.jobs, nextCursor: page.nextCursor ?? undefined };
  }

  /** Ask the API to cancel; returns the job as the API answered (or re-read) after the request. */
  async cancel(id: string): Promise<ApiJob> {
    const response = await this.request(`cancel job ${id}`, `/v1/jobs/${encodeURIComponent(id)}/cancel`, {
      method: 'POST',
    });
    const body = await response.json().catch(() => undefined);
    const parsed = unwrapJob.safeParse(body);
    return parsed.success ? parsed.data : this.getJob(id);
  }

  /** The command's output so far from byte `offset`, as the raw response (text/plain; X-Log-Size). */
  async logText(id: string, offset?: number): Promise<Response> {
    const from = offset === undefined ? '' : `?offset=${offset}`;
    return this.request(`read the log of job ${id}`, `/v1/jobs/${encodeURIComponent(id)}/logs${from}`);
  }

  /** Open the SSE stream of a job's log and states, resuming after `lastEventId`. */
  async openStream(id: string, lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
    const what = `follow job ${id}`;
    let response: Response;
    try {
      response = await this.fetchFn(this.url(`/v1/jobs/${encodeURIComponent(id)}/logs?follow=1`), {
        headers: this.headers({
          accept: 'text/event-stream',
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        }),
        signal,
      });
    } catch (error) {
      throw unreachable(what, this.baseUrl, error);
    }
    if (!response.ok) {
      throw new ApiError(response.status, what, readErrorBody(await response.json().catch(() => undefined)));
    }
    return response;
  }

  async listOutputs(id: string): Promise<OutputEntry[]> {
    const response = await this.request(
      `list outputs of job ${id}`,
      `/v1/jobs/${encodeURIComponent(id)}/outputs`,
    );
    return this.parse(response, OutputsSchema, `list outputs of job ${id}`);
  }

  /** One collected file: by the `url` the listing gave, else `/outputs/<path>`. */
  async downloadOutput(id: string, path: string, url?: string): Promise<Response> {
    if (url !== undefined) {
      return this.request(`download ${path}`, url.startsWith('/') ? url : `/${url}`);
    }
    const encoded = path
      .split('/')
      .filter((part) => part !== '')
      .map(encodeURIComponent)
      .join('/');
    return this.request(`download ${path}`, `/v1/jobs/${encodeURIComponent(id)}/outputs/${encoded}`);
  }

  /** Whether this token's tenant has the workdir upload (`HEAD /v1/uploads/:sha256`). */
  async hasUpload(sha256: string): Promise<boolean> {
    try {
      await this.request('look up the workdir upload', `/v1/uploads/${sha256}`, { method: 'HEAD' });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        return false;
      }
      throw error;
    }
  }

  /**
   * Upload a workdir tar.gz (`POST /v1/uploads`, streamed from the file, with its SHA-256 for the
   * API to check). Tried once per call (no per-request timeout: a big upload takes long);
   * `onProgress` gets the bytes sent so far.
   */
  async upload(
    file: string,
    sha256: string,
    sizeBytes: number,
    onProgress?: (sent: number) => void,
  ): Promise<{ sha256: string; sizeBytes: number }> {
    const what = 'upload the workdir';
    let sent = 0;
    const counted = createReadStream(file).on('data', (chunk) => {
      sent += chunk.length;
      onProgress?.(sent);
    });
    let response: Response;
    try {
      response = await this.fetchFn(this.url('/v1/uploads'), {
        method: 'POST',
        headers: this.headers({
          'content-type': 'application/gzip',
          'content-length': String(sizeBytes),
          'x-content-sha256': sha256,
        }),
        body: Readable.toWeb(counted) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
    } catch (error) {
      throw unreachable(what, this.baseUrl, error);
    } finally {
      counted.destroy();
    }
    if (!response.ok) {
      throw new ApiError(response.status, what, readErrorBody(await response.json().catch(() => undefined)));
    }
    return this.parse(response, UploadSchema, what);
  }

  /**
   * One request, retried when repeating it is safe (every method here is: reads, cancel, and
   * submit always carries an Idempotency-Key). Answers with the successful response.
   */
  async request(what: string, path: string, init: RequestInit = {}): Promise<Response> {
    let lastError: CliError | undefined;
    for (let attempt = 1; attempt <= this.tries; attempt += 1) {
      let response: Response;
      try {
        response = await this.fetchFn(this.url(path), {
          ...init,
          headers: this.headers((init.headers ?? {}) as Record<string, string>),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        lastError = unreachable(what, this.baseUrl, error);
        await backoff(attempt, undefined);
        continue;
      }
      if (response.ok) {
        return response;
      }
      const body = readErrorBody(await response.json().catch(() => undefined));
      lastError = new ApiError(response.status, what, body);
      if (!RETRY_STATUS.has(response.status) || isFinalCode(body.code) || attempt === this.tries) {
        throw lastError;
      }
      await backoff(attempt, response.headers.get('retry-after'));
    }
    throw lastError ?? new CliError(EXIT.apiUnreachable, `${what}: no answer`);
  }

  private async parse<T>(response: Response, schema: z.ZodType<T>, what: string): Promise<T> {
    const body = await response.json().catch(() => undefined);
    const result = schema.safeParse(body);
    if (!result.success) {
      throw new CliError(
        EXIT.apiUnreachable,
        `${what}: unexpected answer from the API (${result.error.message})`,
      );
    }
    return result.data;
  }
}

/** Wait before try `attempt + 1`: Retry-After when given (capped), else 0.5 s doubling to 4 s. */
function backoff(attempt: number, retryAfter: string | null | undefined): Promise<void> {
  const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
  const ms = Number.isFinite(seconds)
    ? Math.min(seconds * 1000, 10_000)
    : Math.min(500 * 2 ** (attempt - 1), 4_000);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
