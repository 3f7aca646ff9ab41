import type { TokenRole } from '@clore-batch/shared';

/** Who is calling: the API token's name (the owner of the jobs it submits) and its role. */
export interface Principal {
  name: string;
  role: TokenRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route; undefined on public ones. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /**
     * Default: any valid bearer token. `admin`: an admin token. `public`: no token. `custom`: the
     * route's own plugin authenticates (the dashboard's session cookie) and sets `request.principal`.
     */
    access?: 'public' | 'admin' | 'custom';
  }
}
