import Fastify, { type FastifyInstance } from 'fastify';
import { type HungSockets, registerApiRoutes } from './http/api-routes';
import { registerSimRoutes } from './http/sim-routes';
import type { SimOptions } from './options';
import { Simulator } from './simulator';

export interface SimApp {
  app: FastifyInstance;
  sim: Simulator;
}

/**
 * The simulator as a Fastify app (not listening). `app.close()` also closes the simulator: it
 * stops every order's sshd and kills every process its orders started.
 */
export async function buildSimApp(options: SimOptions = {}): Promise<SimApp> {
  const sim = new Simulator(options);
  const hung: HungSockets = new Set();
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 1_048_576 });
  await app.register(async (scope) => {
    // The API reads bodies itself, so a malformed one is code 2 like the real API, not Fastify's 400.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    registerApiRoutes(scope, sim, hung);
  });
  registerSimRoutes(app, sim);
  app.addHook('onClose', async () => {
    for (const socket of hung) {
      socket.destroy();
    }
    hung.clear();
    await sim.close();
  });
  return { app, sim };
}
