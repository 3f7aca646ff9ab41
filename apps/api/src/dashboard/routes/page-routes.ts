import type { FastifyInstance } from 'fastify';
import type { StaticPages } from './static-pages';

/** GET /admin (the page, with the session's CSRF token in a meta tag), its script and stylesheet. */
export async function pageRoutes(app: FastifyInstance, deps: { pages: StaticPages }): Promise<void> {
  const { pages } = deps;
  for (const url of ['/admin', '/admin/']) {
    app.get(url, { config: { dashboard: 'page' } }, async (request, reply) => {
      const session = request.adminSession?.session;
      const html = pages.index({
        admin: request.principal?.name ?? '',
        csrfToken: session?.csrfToken ?? '',
      });
      return reply.type('text/html; charset=utf-8').send(html);
    });
  }
  app.get('/admin/static/dashboard.js', { config: { dashboard: 'login' } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(pages.script),
  );
  app.get('/admin/static/uplot.js', { config: { dashboard: 'login' } }, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'max-age=3600')
      .send(pages.chartScript),
  );
  app.get('/admin/static/uplot.css', { config: { dashboard: 'login' } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=3600').send(pages.chartStyles),
  );
  app.get('/admin/static/dashboard.css', { config: { dashboard: 'login' } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(pages.styles),
  );
}
