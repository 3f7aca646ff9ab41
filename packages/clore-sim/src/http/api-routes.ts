import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type EndpointContext, endpoints } from '../api/endpoints';
import { type ApiResult, apiCode } from '../api/result';
import { type CallRecord, preciseNow } from '../call-log';
import { rollEndpointFault } from '../faults';
import { keyHash } from '../key-hash';
import type { Simulator } from '../simulator';

const NON_JSON_BODY =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>\n';

/** Sockets of requests the simulator decided never to answer; destroyed on close. */
export type HungSockets = Set<Socket>;

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseBody(raw: unknown): { ok: true; value: unknown } | { ok: false } {
  if (raw === undefined || raw === null || raw === '') {
    return { ok: true, value: undefined };
  }
  try {
    return { ok: true, value: JSON.parse(String(raw)) };
  } catch {
    return { ok: false };
  }
}

/**
 * `/v1/<endpoint>` with the real API's order of checks: the `auth` key (code 3, not rate-limited),
 * the per-key limits (429 `{"code":5}`, not performed), the endpoint (code 4), injected faults, the
 * body (code 2), then the call itself. Every call lands in the call log.
 */
export function registerApiRoutes(app: FastifyInstance, sim: Simulator, hung: HungSockets): void {
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const at = preciseNow();
    const started = performance.now();
    const endpoint = (request.params as { '*': string })['*'].replace(/\/+$/, '');
    const key = headerValue(request.headers.auth);
    const record = (code: number | null, httpStatus: number, fault?: CallRecord['fault']) => {
      sim.calls.add({
        keyHash: key === undefined ? null : keyHash(key),
        endpoint,
        at,
        durationMs: performance.now() - started,
        code,
        httpStatus,
        ...(fault ? { fault } : {}),
      });
    };
    const send = (result: ApiResult) => {
      const answerFault = context.answerFault;
      record(
        result.body.code,
        result.status,
        answerFault === undefined ? undefined : answerFault === 'empty' ? 'myOrdersEmpty' : 'myOrdersShort',
      );
      return reply.code(result.status).type('application/json').send(JSON.stringify(result.body));
    };
    const hang = () => {
      reply.hijack();
      hung.add(request.raw.socket);
      request.raw.socket.once('close', () => hung.delete(request.raw.socket));
    };
    const reset = () => {
      reply.hijack();
      request.raw.socket.destroy();
    };

    const context: EndpointContext = {};
    if (!sim.isKnownKey(key)) {
      return send(apiCode(3));
    }
    if (!sim.rateLimiter.tryAcquire(key, endpoint === 'create_order')) {
      return send(apiCode(5));
    }
    const handler = endpoints(context)[endpoint];
    if (!handler) {
      return send(apiCode(4));
    }
    const latency = sim.faults.latencyMs;
    if (latency) {
      const ms = sim.faultRng.range(latency[0], Math.max(latency[0], latency[1]));
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    const fault = rollEndpointFault(sim.faults, endpoint, sim.faultRng);
    switch (fault) {
      case 'http500':
        record(null, 500, fault);
        return reply.code(500).type('text/plain').send('Internal Server Error');
      case 'http502':
        record(null, 502, fault);
        return reply.code(502).type('text/html').send(NON_JSON_BODY);
      case 'nonJson':
        record(null, 200, fault);
        return reply.code(200).type('text/html').send(NON_JSON_BODY);
      case 'hang':
        record(null, 0, fault);
        return hang();
      case 'reset':
        record(null, 0, fault);
        return reset();
      case 'code1':
        record(1, 500, fault);
        return reply.code(500).type('application/json').send('{"code":1}');
      default:
        break;
    }
    const body = parseBody(request.body);
    if (!body.ok) {
      return send(apiCode(2));
    }
    let result: ApiResult;
    try {
      result = await handler(sim, key, { query: request.query as Record<string, string>, body: body.value });
    } catch (error) {
      // A simulator bug answers like the real API's DATABASE ERROR, and is logged.
      sim.log.error({ endpoint, err: (error as Error).message }, 'endpoint failed');
      result = apiCode(1);
    }
    if (fault === 'lostResponse') {
      // The call was performed; only its answer is lost.
      record(null, 0, fault);
      sim.log.info(
        { orderId: context.createdOrder?.id, code: result.body.code },
        'create_order answer lost (fault)',
      );
      return sim.faults.lostResponseMode === 'hang' ? hang() : reset();
    }
    return send(result);
  };
  app.all('/v1/*', handle);
}
