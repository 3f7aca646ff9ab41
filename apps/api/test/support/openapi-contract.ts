import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Test-only, the OpenAPI contract check (docs/decisions/0138): every answer of a route the document
 * describes must have a status its operation lists. The API test kit hands `observe` to `buildApp`
 * (`onResponse`) and fails the test at close with `undocumented()`. Routes the document leaves out
 * (the dashboard, /docs, no route matched) are not checked.
 */
export interface ContractCheck {
  /** Fastify's app whose `swagger()` document is the contract (set once it is built). */
  attach(app: FastifyInstance): void;
  observe(request: FastifyRequest, reply: FastifyReply): void;
  /** The undocumented `METHOD /route STATUS` answers seen since the last call (and forgets them). */
  undocumented(): string[];
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
}

/** A Fastify route URL as @fastify/swagger writes it in `paths`: `:id` → `{id}`, `*` → `{*}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*/g, '{*}');
}

/** The statuses each operation of the document lists, by `METHOD path`. */
export function documentedStatuses(document: OpenApiDocument): Map<string, ReadonlySet<string>> {
  const operations = new Map<string, ReadonlySet<string>>();
  for (const [path, methods] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(methods)) {
      operations.set(`${method.toUpperCase()} ${path}`, new Set(Object.keys(operation.responses ?? {})));
    }
  }
  return operations;
}

export function createContractCheck(): ContractCheck {
  let app: FastifyInstance | undefined;
  let operations: Map<string, ReadonlySet<string>> | undefined;
  const seen = new Set<string>();
  return {
    attach(built) {
      app = built;
    },
    observe(request, reply) {
      const url = request.routeOptions.url;
      if (url === undefined || app === undefined) {
        return;
      }
      operations ??= documentedStatuses(app.swagger() as OpenApiDocument);
      const path = openApiPath(url);
      // Fastify answers HEAD on every GET route; the document lists only the GET.
      const statuses =
        operations.get(`${request.method} ${path}`) ??
        (request.method === 'HEAD' ? operations.get(`GET ${path}`) : undefined);
      const status = String(reply.statusCode);
      if (statuses === undefined || statuses.has(status) || statuses.has(`${status[0]}XX`)) {
        return;
      }
      if (!statuses.has('default')) {
        seen.add(`${request.method} ${url} ${status}`);
      }
    },
    undocumented() {
      const found = [...seen];
      seen.clear();
      return found;
    },
  };
}

/** Throws listing the undocumented answers `check` saw (and forgets them): the test fails. */
export function assertAllDocumented(check: ContractCheck): void {
  const undocumented = check.undocumented();
  if (undocumented.length > 0) {
    throw new Error(
      `OpenAPI contract: answers with a status the route's operation does not document (add it to its schema's response map): ${undocumented.join(', ')}`,
    );
  }
}
